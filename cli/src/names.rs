//! The words the demo seeder and the catalog generator make believable titles, people and
//! plots from, and a small deterministic random source so every run makes the same catalog.

pub const CERTIFICATIONS: &[&str] = &["G", "PG", "PG-13", "R", "NC-17"];

pub const GENRES: &[&str] = &[
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Film-Noir",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Sport",
    "Thriller",
    "War",
    "Western",
];

pub const FIRST_NAMES: &[&str] = &[
    "Ada", "Adrian", "Agnes", "Alan", "Alice", "Amara", "Andre", "Anna", "Arthur", "Beatrice",
    "Ben", "Bianca", "Carlos", "Carmen", "Caroline", "Cecil", "Chloe", "Clara", "Colin", "Dalia",
    "Daniel", "David", "Diana", "Dmitri", "Edith", "Elena", "Elias", "Eliza", "Emil", "Emma",
    "Ethan", "Eva", "Felix", "Fiona", "Frances", "Gabriel", "Grace", "Greta", "Hana", "Harold",
    "Hector", "Helen", "Hugo", "Ida", "Ines", "Isaac", "Ivy", "Jack", "James", "Jonas", "Julia",
    "Kai", "Karen", "Keiko", "Laura", "Leo", "Lena", "Lucas", "Lucia", "Magnus", "Maria", "Marta",
    "Martin", "Maya", "Miles", "Mina", "Nadia", "Naomi", "Nathan", "Nina", "Noah", "Olga", "Omar",
    "Oscar", "Paolo", "Paula", "Peter", "Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara", "Simon",
    "Sofia", "Stella", "Tariq", "Teresa", "Theo", "Tomas", "Una", "Valerie", "Victor", "Vivian",
    "Walter", "Wen", "Yara", "Yusuf", "Zoe", "Zora",
];

pub const LAST_NAMES: &[&str] = &[
    "Abbott", "Adler", "Alvarez", "Andersen", "Arnaud", "Bailey", "Baker", "Barros", "Becker",
    "Bell", "Bennett", "Bergman", "Blake", "Bose", "Brandt", "Brooks", "Calloway", "Campos",
    "Carter", "Castillo", "Chandra", "Chen", "Clarke", "Cole", "Costa", "Cruz", "Dalton", "Dane",
    "Davies", "Delgado", "Dixon", "Doyle", "Duarte", "Dunn", "Ellis", "Engel", "Evans", "Farrow",
    "Fischer", "Fleming", "Flores", "Foster", "Fraser", "Fuentes", "Garner", "Gill", "Gomez",
    "Graves", "Gray", "Hale", "Hall", "Hansen", "Hart", "Hayes", "Holt", "Hughes", "Ibarra",
    "Ivanova", "Jensen", "Jordan", "Kaur", "Keller", "Kim", "Klein", "Koval", "Lambert", "Lane",
    "Larsen", "Laurent", "Lee", "Lind", "Lopez", "Lowe", "Maddox", "Marsh", "Martel", "Mendes",
    "Mercer", "Meyer", "Molina", "Moreau", "Morgan", "Nakamura", "Nash", "Navarro", "Nguyen",
    "Novak", "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Pereira", "Petrov", "Pike", "Quinn",
    "Ramos", "Reed", "Reyes", "Rhodes", "Rivera", "Rossi", "Russo", "Saito", "Santos", "Sato",
    "Schmidt", "Shaw", "Silva", "Sloane", "Soto", "Stone", "Sullivan", "Tanaka", "Thorne",
    "Torres", "Vance", "Varga", "Vega", "Voss", "Wagner", "Walsh", "Ward", "Weber", "Wells",
    "West", "Whitaker", "Wolfe", "Wong", "Young", "Zimmer",
];

pub const ADJECTIVES: &[&str] = &[
    "Silent",
    "Broken",
    "Crimson",
    "Distant",
    "Electric",
    "Endless",
    "Fading",
    "Forgotten",
    "Frozen",
    "Golden",
    "Hidden",
    "Hollow",
    "Burning",
    "Last",
    "Lonely",
    "Lost",
    "Midnight",
    "Northern",
    "Pale",
    "Quiet",
    "Restless",
    "Scarlet",
    "Secret",
    "Shattered",
    "Silver",
    "Sleeping",
    "Stolen",
    "Strange",
    "Sunken",
    "Velvet",
    "Wandering",
    "Wild",
    "Winter",
    "Wooden",
    "Yellow",
    "Bitter",
    "Bright",
    "Dark",
    "Deep",
    "Savage",
];

pub const NOUNS: &[&str] = &[
    "Harbor",
    "Horizon",
    "River",
    "Garden",
    "Empire",
    "Signal",
    "Orbit",
    "Kingdom",
    "Letter",
    "Mirror",
    "Highway",
    "Island",
    "Lighthouse",
    "Machine",
    "Frontier",
    "Storm",
    "Station",
    "Summer",
    "Shadow",
    "Promise",
    "Witness",
    "Voyage",
    "Circus",
    "Orchard",
    "Valley",
    "Bridge",
    "Citadel",
    "Carnival",
    "Desert",
    "Engine",
    "Forest",
    "Ghost",
    "Hotel",
    "Journey",
    "Legacy",
    "Lantern",
    "Melody",
    "Mountain",
    "Ocean",
    "Palace",
    "Prophet",
    "Reckoning",
    "Requiem",
    "Satellite",
    "Season",
    "Stranger",
    "Tide",
    "Tower",
    "Train",
    "Verdict",
    "Village",
    "Winter",
    "Wolf",
    "Crown",
    "Compass",
    "Cathedral",
    "Canyon",
    "Frequency",
    "Heist",
    "Outpost",
];

pub const PLACES: &[&str] = &[
    "Vienna",
    "Lisbon",
    "Tangier",
    "Havana",
    "Kyoto",
    "Marseille",
    "Nevada",
    "Alaska",
    "Patagonia",
    "Naples",
    "Berlin",
    "Istanbul",
    "Montana",
    "Casablanca",
    "Shanghai",
    "Oslo",
    "Bombay",
    "Brooklyn",
    "Saigon",
    "Tokyo",
    "the North",
    "the Valley",
    "the Coast",
    "the Moon",
    "Mars",
];

pub const HEROES: &[&str] = &[
    "a retired detective",
    "a young pianist",
    "a grieving widow",
    "two estranged brothers",
    "a small-town sheriff",
    "a disgraced surgeon",
    "an ambitious reporter",
    "a runaway teenager",
    "a lonely lighthouse keeper",
    "a con artist",
    "an astronaut",
    "a schoolteacher",
    "a former boxer",
    "a chess prodigy",
    "a smuggler",
    "an aging rock star",
    "a park ranger",
    "a translator",
    "a getaway driver",
    "a museum guard",
];

pub const GOALS: &[&str] = &[
    "must clear a name before the trial ends",
    "uncovers a conspiracy that reaches the top",
    "races against time to save a stranger",
    "finds a letter that changes everything",
    "is drawn into one last impossible job",
    "tries to keep a family together through one hard winter",
    "falls for the one person who could ruin the plan",
    "sets out to find a missing sister",
    "discovers the town is hiding a terrible secret",
    "has one night to make things right",
    "leads a crew on a journey no one returns from",
    "learns that the past never stays buried",
];

/// SplitMix64: tiny, fast and the same on every machine, so the seed is reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `range` (inclusive start, exclusive end).
    pub fn below(&mut self, end: u64) -> u64 {
        self.next_u64() % end
    }

    pub fn between(&mut self, start: i64, end_inclusive: i64) -> i64 {
        start + (self.below((end_inclusive - start + 1) as u64) as i64)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// `count` distinct indexes below `len`.
    pub fn distinct(&mut self, count: usize, len: usize) -> Vec<usize> {
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count.min(len) {
            let index = self.below(len as u64) as usize;
            if !chosen.contains(&index) {
                chosen.push(index);
            }
        }
        chosen
    }
}

/// A believable title.
pub fn title(rng: &mut Rng) -> String {
    match rng.below(7) {
        0 => format!("The {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
        1 => format!("{} of {}", rng.pick(NOUNS), rng.pick(PLACES)),
        2 => format!("{} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
        3 => format!("The {} of {}", rng.pick(NOUNS), rng.pick(PLACES)),
        4 => format!("A {} in {}", rng.pick(NOUNS), rng.pick(PLACES)),
        5 => format!("{}'s {}", rng.pick(FIRST_NAMES), rng.pick(NOUNS)),
        _ => format!("Beyond the {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS)),
    }
}

/// A one-sentence plot.
pub fn plot(rng: &mut Rng) -> String {
    let hero = rng.pick(HEROES);
    let mut plot = format!("In {}, {} {}.", rng.pick(PLACES), hero, rng.pick(GOALS));
    // Capitalize the sentence's first letter after "In".
    if let Some(first) = plot.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    plot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_catalog() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(title(&mut a), title(&mut b));
        assert_eq!(plot(&mut a), plot(&mut b));
        let picks = a.distinct(3, 5);
        assert_eq!(picks.len(), 3);
        assert!(picks.iter().all(|&i| i < 5));
    }
}
