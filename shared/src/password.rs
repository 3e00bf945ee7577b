//! Password hashing with argon2id (OWASP parameters), off the async executor.

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use regex::Regex;

use crate::error::{ApiError, FieldError};

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash to verify against when the account does not exist, so a login for an unknown email
/// takes as long as one for a known email.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("not a real password").expect("hashing works"));

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("hashing a password: {err}"))
}

pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU by design.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|err| ApiError::Internal(err.into()))?
        .map_err(ApiError::Internal)
}

/// Verifies on the blocking pool; with no hash (unknown account) it still spends the time.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .map_err(|err| ApiError::Internal(err.into()))
}

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

/// The character classes a password needs one of each, as general categories (ECMA-262 and the
/// regex crate read them alike): a lower-case letter, an upper-case letter, an ASCII digit, and
/// a special character (neither letter, number nor white space).
const NEEDS: [(&str, &str); 4] = [
    (r"\p{Ll}", "must contain a lower-case letter"),
    (r"\p{Lu}", "must contain an upper-case letter"),
    (r"[0-9]", "must contain a digit"),
    (r"[^\p{L}\p{N}\s]", "must contain a special character"),
];

static NEEDED: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    NEEDS
        .iter()
        .map(|(class, message)| {
            (
                Regex::new(class).expect("a password class compiles"),
                *message,
            )
        })
        .collect()
});

/// The rules as one pattern, for the OpenAPI document (with `minLength` [`MIN_LENGTH`] and
/// `maxLength` [`MAX_LENGTH`]): a lookahead per needed class, the class's complement before it
/// so no "any character" (read differently by different engines) is needed.
pub fn strength_pattern() -> String {
    let mut pattern = String::from("^");
    for (class, _) in NEEDS {
        let complement = match class.strip_prefix("[^") {
            Some(inner) => format!("[{inner}"),
            None => match class.strip_prefix('[') {
                Some(inner) => format!("[^{inner}"),
                None => format!("[^{class}]"),
            },
        };
        pattern.push_str(&format!("(?={complement}*{class})"));
    }
    pattern
}

/// The password rules, each broken one named: 8-128 characters with a lower-case letter, an
/// upper-case letter, a digit and a special character.
pub fn check_strength(field: &str, password: &str) -> Result<(), ApiError> {
    crate::error::check_fields(strength_errors(field, password))
}

/// Every password rule `password` breaks, as field errors of `field`.
pub fn strength_errors(field: &str, password: &str) -> Vec<FieldError> {
    let length = password.chars().count();
    let mut broken = Vec::new();
    if length < MIN_LENGTH {
        broken.push(format!("must be at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        broken.push(format!("must be at most {MAX_LENGTH} characters"));
    }
    for (class, message) in NEEDED.iter() {
        if !class.is_match(password) {
            broken.push((*message).to_owned());
        }
    }
    broken
        .into_iter()
        .map(|message| FieldError::new(field, message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password_and_is_argon2id() {
        let hash = hash_blocking("Correct-Horse-9").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("Correct-Horse-9", &hash));
        assert!(!verify_blocking("correct-horse-9", &hash));
        assert!(!verify_blocking("Correct-Horse-9", "not a hash"));
    }

    fn broken(password: &str) -> Vec<String> {
        match check_strength("password", password) {
            Ok(()) => vec![],
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.message).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_broken_rule_is_named() {
        assert!(broken("Str0ng-enough").is_empty());
        assert_eq!(broken("Sh0rt-"), ["must be at least 8 characters"]);
        assert_eq!(broken("NOLOWER-123"), ["must contain a lower-case letter"]);
        assert_eq!(broken("noupper-123"), ["must contain an upper-case letter"]);
        assert_eq!(broken("No-digits-here"), ["must contain a digit"]);
        assert_eq!(broken("NoSpecial123"), ["must contain a special character"]);
        let long = format!("Aa1-{}", "x".repeat(125));
        assert_eq!(broken(&long), ["must be at most 128 characters"]);
    }

    #[test]
    fn the_pattern_needs_each_class() {
        assert_eq!(
            strength_pattern(),
            r"^(?=[^\p{Ll}]*\p{Ll})(?=[^\p{Lu}]*\p{Lu})(?=[^0-9]*[0-9])(?=[\p{L}\p{N}\s]*[^\p{L}\p{N}\s])"
        );
        assert!(broken("Пароль-2026").is_empty());
    }
}
