//! The one statement behind every movie list: the filter conditions, the page's ids (an index
//! walk, a search's ranked matches, or a deep catalog page from its anchor), the total, and the
//! page's items as JSON.

use super::{MovieFilters, Scope, Sort, SortKey, search};
use crate::sql::{Arg, Statement};

/// The linked table and column of each id filter, in [`MovieFilters::id_filters`] order, and the
/// table of the names.
const LINKS: [(&str, &str, &str); 4] = [
    ("movie_genres", "genre_id", "genres"),
    ("movie_directors", "director_id", "directors"),
    ("movie_stars", "star_id", "stars"),
    ("", "certification_id", "certifications"),
];

/// The condition "the movie is linked to one of the ids `ids`".
fn linked_to_any(link: usize, ids: &str) -> String {
    let (table, column, _) = LINKS[link];
    if table.is_empty() {
        format!("m.{column} = ANY({ids})")
    } else {
        format!(
            "EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = ANY({ids}))"
        )
    }
}

/// The condition "the movie is linked to the id `id`".
fn linked_to(link: usize, id: &str) -> String {
    let (table, column, _) = LINKS[link];
    if table.is_empty() {
        format!("m.{column} = {id}")
    } else {
        format!("EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = {id})")
    }
}

/// The column `sort` orders by, over the movie aliased `m`, and where its nulls go.
fn sort_column(sort: Sort) -> (&'static str, &'static str) {
    match sort.key {
        SortKey::Price => ("m.price", ""),
        SortKey::Year => ("m.year", ""),
        SortKey::Imdb => ("m.imdb", ""),
        SortKey::Votes => ("m.votes", ""),
        SortKey::Rating => ("m.average_rating", " NULLS LAST"),
        SortKey::Popularity => ("m.popularity", ""),
        SortKey::Name => ("m.name", ""),
        SortKey::CreatedAt => ("m.created_at", ""),
    }
}

/// `ORDER BY` for `sort` with the sort key at `key` and the movie id at `id`, ending in the id
/// tie-break so equal keys keep one order across pages.
fn order_by_at(sort: Sort, key: &str, id: &str) -> String {
    let (_, nulls) = sort_column(sort);
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!("{key} {direction}{nulls}, {id} {direction}")
}

/// `ORDER BY` for `sort` over the movie aliased `m`.
fn order_by(sort: Sort) -> String {
    order_by_at(sort, sort_column(sort).0, "m.id")
}

/// What a list's scope and filters ask of a movie `m`.
struct Filtering {
    conditions: Vec<String>,
    /// The year conditions alone, over a column named `year`: when they are all there is, the
    /// total sums the stored per-year counts.
    years: Vec<String>,
    /// A condition "linked to this one id" (link index and the id's SQL): when it is all there
    /// is, the total is that name's stored `movie_count`.
    single_link: Option<(usize, String)>,
    /// Per id filter, the SQL of its ids, if given.
    id_lists: Vec<Option<String>>,
}

impl Filtering {
    fn new(st: &mut Statement, scope: Scope, filters: &MovieFilters) -> Self {
        let mut conditions = Vec::new();
        let mut single_link = None;
        let mut link_scope = |link: usize, id: i64, st: &mut Statement| {
            let id = st.arg(Arg::Int(id));
            conditions.push(linked_to(link, &id));
            single_link = Some((link, id));
        };
        match scope {
            Scope::All => {}
            Scope::Genre(id) => link_scope(0, id, st),
            Scope::Director(id) => link_scope(1, id, st),
            Scope::Star(id) => link_scope(2, id, st),
            Scope::Certification(id) => link_scope(3, id, st),
            Scope::FavoritesOf(user) => conditions.push(format!(
                "EXISTS (SELECT 1 FROM favorites f WHERE f.movie_id = m.id AND f.user_id = {})",
                st.arg(Arg::Uuid(user))
            )),
            Scope::PurchasesOf(user) => conditions.push(format!(
                "EXISTS (SELECT 1 FROM purchases o WHERE o.movie_id = m.id AND o.user_id = {})",
                st.arg(Arg::Uuid(user))
            )),
        }
        let years: Vec<String> = [
            ("=", filters.year),
            (">=", filters.year_min),
            ("<=", filters.year_max),
        ]
        .into_iter()
        .filter_map(|(op, year)| {
            year.map(|year| format!("year {op} {}", st.arg(Arg::Int(year.into()))))
        })
        .collect();
        conditions.extend(years.iter().map(|condition| format!("m.{condition}")));
        for (column, op, value) in [
            ("imdb", ">=", filters.imdb_min),
            ("imdb", "<=", filters.imdb_max),
            ("price", ">=", filters.price_min),
            ("price", "<=", filters.price_max),
        ] {
            if let Some(value) = value {
                conditions.push(format!("m.{column} {op} {}", st.arg(Arg::Decimal(value))));
            }
        }
        let mut id_lists = Vec::new();
        for (link, (_, ids)) in filters.id_filters().into_iter().enumerate() {
            if ids.is_empty() {
                id_lists.push(None);
                continue;
            }
            let list = st.arg(Arg::Ints(ids.to_vec()));
            conditions.push(linked_to_any(link, &list));
            if ids.len() == 1 {
                single_link = Some((link, format!("({list})[1]")));
            }
            id_lists.push(Some(list));
        }
        Self {
            conditions,
            years,
            single_link,
            id_lists,
        }
    }

    /// The conditions and `extra`, joined with AND.
    fn with(&self, extra: String) -> String {
        self.conditions
            .iter()
            .cloned()
            .chain([extra])
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `WHERE` and the conditions, or nothing.
    fn clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// `, 'unknown', [...]`: per id filter, the ids that name nothing (only with id filters).
    fn unknown_ids(&self) -> String {
        if self.id_lists.iter().all(Option::is_none) {
            return String::new();
        }
        let arrays: Vec<String> = self
            .id_lists
            .iter()
            .zip(LINKS)
            .map(|(list, (_, _, table))| match list {
                Some(list) => format!(
                    "ARRAY(SELECT x FROM unnest({list}) x \
                     WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = x))"
                ),
                None => "'{}'::bigint[]".to_owned(),
            })
            .collect();
        format!(", 'unknown', json_build_array({})", arrays.join(", "))
    }
}

/// How a list's page is found: `with` defines `page` (the page's ids), `total` counts every
/// match, `order` puts the page's items back in order.
struct Paging {
    with: String,
    total: String,
    order: String,
}

/// A search: matches are found once and ranked once, then both counted and paged (a search can
/// match thousands of movies and each costs a rank). Full-text matches come first; only when
/// there are none does the (costlier) typo-tolerant trigram match run. Matches carry their sort
/// key, so the page is chosen from them alone.
fn search_paging(
    q: &str,
    filtering: &Filtering,
    sort: Option<Sort>,
    limit: &str,
    offset: &str,
) -> Paging {
    let (key, page_order, order) = match sort {
        Some(sort) => (
            format!(", {} AS key", sort_column(sort).0),
            order_by_at(sort, "x.key", "x.id"),
            order_by(sort),
        ),
        None => (
            String::new(),
            "x.rank DESC, x.id ASC".to_owned(),
            "page.rank DESC, m.id ASC".to_owned(),
        ),
    };
    Paging {
        with: format!(
            "exact AS MATERIALIZED (\
                SELECT m.id, {exact_rank} AS rank{key} FROM movies m WHERE {exact}), \
             matched AS MATERIALIZED (\
                SELECT * FROM exact \
                UNION ALL \
                SELECT m.id, {fuzzy_rank} AS rank{key} FROM movies m \
                WHERE NOT EXISTS (SELECT 1 FROM exact) AND {fuzzy}), \
             page AS (\
                SELECT x.id, x.rank FROM matched x \
                ORDER BY {page_order} LIMIT {limit} OFFSET {offset})",
            exact_rank = search::exact_rank(q),
            fuzzy_rank = search::fuzzy_rank(q),
            exact = filtering.with(search::exact(q)),
            fuzzy = filtering.with(search::fuzzy(q)),
        ),
        total: "(SELECT count(*) FROM matched)".to_owned(),
        order,
    }
}

/// The total without a search: from a trigger-kept counter when the filters allow it.
fn browse_total(filtering: &Filtering) -> String {
    let conditions = filtering.conditions.len();
    if conditions == 0 {
        "(SELECT movies FROM catalog_counters)".to_owned()
    } else if conditions == filtering.years.len() {
        format!(
            "(SELECT coalesce(sum(movie_count), 0) FROM movie_year_counts WHERE {})",
            filtering.years.join(" AND ")
        )
    } else if let (1, Some((link, id))) = (conditions, &filtering.single_link) {
        format!(
            "coalesce((SELECT movie_count FROM {} WHERE id = {id}), 0)",
            LINKS[*link].2
        )
    } else {
        format!("(SELECT count(*) FROM movies m {})", filtering.clause())
    }
}

/// Without a search: an index walk in sort order. A deep page of the whole catalog in its
/// default order starts walking at the nearest anchor before it (see the catalog_anchors
/// migration); without anchors it walks from the top like any other list.
fn browse_paging(
    filtering: &Filtering,
    sort: Sort,
    anchored: bool,
    limit: &str,
    offset: &str,
) -> Paging {
    let order = order_by(sort);
    let with = if anchored {
        format!(
            "anchor AS MATERIALIZED (\
                SELECT position, created_at, id FROM catalog_anchors \
                WHERE position <= {offset} ORDER BY position DESC LIMIT 1), \
             page AS (\
                SELECT x.id FROM anchor a CROSS JOIN LATERAL (\
                    SELECT m.id FROM movies m \
                    WHERE (m.created_at, m.id) <= (a.created_at, a.id) \
                    ORDER BY {order} LIMIT {limit} OFFSET {offset} - a.position) x \
                UNION ALL \
                (SELECT m.id FROM movies m WHERE NOT EXISTS (SELECT 1 FROM anchor) \
                 ORDER BY {order} LIMIT {limit} OFFSET {offset}))"
        )
    } else {
        format!(
            "page AS (SELECT m.id FROM movies m {} \
             ORDER BY {order} LIMIT {limit} OFFSET {offset})",
            filtering.clause()
        )
    };
    Paging {
        with,
        total: browse_total(filtering),
        order,
    }
}

/// The statement that lists `scope` under `filters` (already validated).
pub fn build(scope: Scope, filters: &MovieFilters, currency: &str) -> Statement {
    let mut st = Statement::default();
    let filtering = Filtering::new(&mut st, scope, filters);
    let search = filters
        .search_text()
        .map(|text| st.arg(Arg::Text(text.to_owned())));
    let page = filters.page_request();
    let limit = st.arg(Arg::Int(page.limit()));
    let offset = st.arg(Arg::Int(page.offset()));
    let Paging { with, total, order } = match &search {
        Some(q) => search_paging(q, &filtering, filters.sort, &limit, &offset),
        None => {
            let sort = filters.sort.unwrap_or_default();
            let anchored = scope == Scope::All
                && filtering.conditions.is_empty()
                && sort == Sort::default()
                && page.offset() > 0;
            browse_paging(&filtering, sort, anchored, &limit, &offset)
        }
    };
    let unknown = filtering.unknown_ids();
    let item = item_json(&st.arg(Arg::Text(currency.to_owned())));
    let item = match scope {
        // A library also says when each movie became the user's.
        Scope::PurchasesOf(user) => format!(
            "(({item})::jsonb || jsonb_build_object('purchased_at', (SELECT o.purchased_at \
             FROM purchases o WHERE o.movie_id = m.id AND o.user_id = {})))",
            st.arg(Arg::Uuid(user))
        ),
        _ => item,
    };
    st.sql = format!(
        "WITH {with} \
         SELECT json_build_object(\
            'total', {total}, \
            'items', coalesce((\
                SELECT json_agg({item} ORDER BY {order}) \
                FROM page JOIN movies m ON m.id = page.id \
                JOIN certifications c ON c.id = m.certification_id), '[]'::json)\
            {unknown})"
    );
    st
}

/// One list item as JSON, over the movie `m` and its certification `c`, priced in `currency`
/// (an SQL expression).
fn item_json(currency: &str) -> String {
    format!(
        "json_build_object(\
    'id', m.id, 'name', m.name, 'year', m.year, 'time', m.time, 'imdb', m.imdb, \
    'votes', m.votes, 'price', m.price::text, 'currency', {currency}, \
    'is_available', m.is_available, \
    'certification', json_build_object('id', c.id, 'name', c.name), \
    'genres', coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) \
        ORDER BY g.name, g.id) FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id \
        WHERE mg.movie_id = m.id), '[]'::json), \
    'average_rating', m.average_rating, 'ratings_count', m.ratings_count, \
    'likes', m.likes, 'dislikes', m.dislikes, 'created_at', m.created_at, \
    'poster_key', m.poster_key)"
    )
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn the_unfiltered_catalog_counts_from_the_counter() {
        let statement = build(Scope::All, &MovieFilters::default(), "USD");
        assert!(statement.sql.contains("catalog_counters"));
        assert!(
            statement
                .sql
                .contains("ORDER BY m.created_at DESC, m.id DESC")
        );
    }

    #[test]
    fn a_list_filtered_by_years_alone_counts_from_the_year_counts() {
        let filters = MovieFilters {
            year_min: Some(1990),
            year_max: Some(1999),
            ..Default::default()
        };
        let statement = build(Scope::All, &filters, "USD");
        assert!(statement.sql.contains(
            "FROM movie_year_counts WHERE year >= (1990)::bigint AND year <= (1999)::bigint"
        ));
        let with_genre = MovieFilters {
            genre: vec![1],
            ..filters
        };
        assert!(
            !build(Scope::All, &with_genre, "USD")
                .sql
                .contains("movie_year_counts")
        );
    }

    #[test]
    fn only_deep_pages_of_the_whole_catalog_in_default_order_use_anchors() {
        let page = |page: i64, sort: Option<&str>, year: Option<i32>| MovieFilters {
            page: Some(page),
            sort: sort.map(|sort| sort.parse().unwrap()),
            year,
            ..Default::default()
        };
        let anchored = |filters: MovieFilters| {
            build(Scope::All, &filters, "USD")
                .sql
                .contains("FROM catalog_anchors")
        };
        assert!(anchored(page(2, None, None)));
        assert!(anchored(page(2500, Some("-created_at"), None)));
        assert!(!anchored(page(1, None, None)));
        assert!(!anchored(page(2, Some("created_at"), None)));
        assert!(!anchored(page(2, None, Some(1999))));
    }

    #[test]
    fn filters_write_their_numbers_into_the_text() {
        let filters = MovieFilters {
            genre: vec![3, 4],
            year_min: Some(1990),
            sort: Some("price".parse().unwrap()),
            ..Default::default()
        };
        let statement = build(Scope::Star(7), &filters, "USD");
        assert!(statement.args.is_empty());
        assert!(
            statement
                .sql
                .contains("l.genre_id = ANY('{3,4}'::bigint[])")
        );
        assert!(statement.sql.contains("l.star_id = (7)::bigint"));
        assert!(statement.sql.contains("m.year >= (1990)::bigint"));
        assert!(statement.sql.contains("ORDER BY m.price ASC, m.id ASC"));
        assert!(statement.sql.contains("'unknown'"));
    }

    #[test]
    fn only_user_ids_are_bound_and_search_text_is_quoted() {
        let filters = MovieFilters {
            search: Some(r"it's \".into()),
            ..Default::default()
        };
        let user = Uuid::nil();
        let statement = build(Scope::FavoritesOf(user), &filters, "USD");
        assert_eq!(statement.args, [Arg::Uuid(user)]);
        assert!(statement.sql.contains("f.user_id = $1"));
        assert!(statement.sql.contains(r"E'it''s \\'"));
    }
}
