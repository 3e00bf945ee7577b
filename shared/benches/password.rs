//! argon2id with the production parameters: the cost every login, sign-up and password change
//! pays, and the ceiling it puts on logins per second per core.

use cinema_shared::password::{hash_blocking, verify_blocking};
use criterion::{Criterion, criterion_group, criterion_main};

fn password_hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20);
    group.bench_function("hash", |b| {
        b.iter(|| hash_blocking("Str0ng-Passw0rd!").unwrap())
    });
    let hash = hash_blocking("Str0ng-Passw0rd!").unwrap();
    group.bench_function("verify", |b| {
        b.iter(|| assert!(verify_blocking("Str0ng-Passw0rd!", &hash)))
    });
    group.finish();
}

criterion_group!(benches, password_hashing);
criterion_main!(benches);
