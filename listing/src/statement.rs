//! The one statement behind every movie list: the filter conditions, the page's ids (an index
//! walk, a search's ranked matches, or a deep catalog page from its anchor), the total, and the
//! page's items as JSON text in their final shape, which the API passes on without decoding.

use cinema_shared::auth;

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

/// The condition "the movie is linked to one of the ids `ids`" (an SQL `bigint[]`).
fn linked_to_any(link: usize, ids: &str) -> String {
    match LINKS[link] {
        // Genres are stored on the movie too, and every sort index carries them: the walk
        // checks them in the index, with no lookup per movie.
        ("movie_genres", ..) => format!("m.genre_ids && {ids}"),
        ("", column, _) => format!("m.{column} = ANY({ids})"),
        (table, column, _) => format!(
            "EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = ANY({ids}))"
        ),
    }
}

/// The condition "the movie is linked to the id `id`".
fn linked_to(link: usize, id: &str) -> String {
    match LINKS[link] {
        ("movie_genres", ..) => format!("{id} = ANY(m.genre_ids)"),
        ("", column, _) => format!("m.{column} = {id}"),
        (table, column, _) => {
            format!(
                "EXISTS (SELECT 1 FROM {table} l WHERE l.movie_id = m.id AND l.{column} = {id})"
            )
        }
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
    /// For a user's favorites or purchases, the count of their rows: the total when the scope
    /// is all there is (each row names an existing movie, by its foreign key).
    owned_count: Option<String>,
    /// For a user's favorites, the SQL of the user's id.
    favorites_of: Option<String>,
    /// For a name's page, whether the name exists (SQL of a JSON boolean): its 404, answered
    /// by the list's own statement instead of a round trip before it.
    scope_found: Option<String>,
    /// For a caller's own list, whether the caller's account is active and session live (SQL
    /// of a boolean): the 401 `AuthUser` would answer, checked by the list's own statement.
    caller_live: Option<String>,
}

impl Filtering {
    fn new(st: &mut Statement, scope: Scope, filters: &MovieFilters) -> Self {
        let mut conditions = Vec::new();
        let mut single_link = None;
        let mut owned_count = None;
        let mut favorites_of = None;
        let mut scope_found = None;
        let mut caller_live = None;
        let mut link_scope = |link: usize, id: i64, st: &mut Statement| {
            let id = st.arg(Arg::Int(id));
            conditions.push(linked_to(link, &id));
            scope_found = Some(format!(
                "(EXISTS (SELECT 1 FROM {} WHERE id = {id}))::text",
                LINKS[link].2
            ));
            single_link = Some((link, id));
        };
        match scope {
            Scope::All => {}
            Scope::Genre(id) => link_scope(0, id, st),
            Scope::Director(id) => link_scope(1, id, st),
            Scope::Star(id) => link_scope(2, id, st),
            Scope::Certification(id) => link_scope(3, id, st),
            Scope::FavoritesOf(caller) | Scope::PurchasesOf(caller) => {
                let table = if matches!(scope, Scope::FavoritesOf(_)) {
                    "favorites"
                } else {
                    "purchases"
                };
                let user = st.arg(Arg::Uuid(caller.user_id));
                let session = st.arg(Arg::Uuid(caller.session_id));
                caller_live = Some(auth::live_session(&user, &session));
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM {table} o WHERE o.movie_id = m.id AND o.user_id = {user})"
                ));
                owned_count = Some(format!(
                    "(SELECT count(*) FROM {table} o WHERE o.user_id = {user})"
                ));
                if table == "favorites" {
                    favorites_of = Some(user);
                }
            }
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
            owned_count,
            favorites_of,
            scope_found,
            caller_live,
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

    /// `|| ', "unknown" : [...]'`: per id filter, the ids that name nothing (only with id
    /// filters).
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
        format!(
            " || ', \"unknown\" : ' || json_build_array({})::text",
            arrays.join(", ")
        )
    }
}

/// How a list's page is found: `with` defines `page` (the page's ids), `total` counts every
/// match, `order` puts the page's items back in order.
struct Paging {
    with: String,
    total: String,
    order: String,
}

/// A search with an explicit sort: matches are found once with their sort key, then both
/// counted and paged. Full-text matches come first; only when there are none does the
/// (costlier) typo-tolerant trigram match run.
fn sorted_search_paging(
    q: &str,
    filtering: &Filtering,
    sort: Sort,
    limit: &str,
    offset: &str,
) -> Paging {
    let key = sort_column(sort).0;
    Paging {
        with: format!(
            "exact AS MATERIALIZED (SELECT m.id, {key} AS key FROM movies m WHERE {exact}), \
             matched AS MATERIALIZED (\
                SELECT * FROM exact \
                UNION ALL \
                SELECT m.id, {key} AS key FROM movies m \
                WHERE NOT EXISTS (SELECT 1 FROM exact) AND {fuzzy}), \
             page AS (\
                SELECT x.id FROM matched x ORDER BY {page_order} LIMIT {limit} OFFSET {offset})",
            exact = filtering.with(search::exact(q)),
            fuzzy = filtering.with(search::fuzzy(q)),
            page_order = order_by_at(sort, "x.key", "x.id"),
        ),
        total: "(SELECT count(*) FROM matched)".to_owned(),
        order: order_by(sort),
    }
}

/// A search by relevance, in tiers (see [`search`]), each costing only what the page needs: the
/// title matches up to the page's end; the other matches, ranked, only when the title matches
/// end before the page does; near misses only when nothing matched. The total is exact, and no
/// rank is computed for it.
///
/// Over the whole catalog, a one-word search counts its matches and pages its titles in
/// `movie_search_words` (an index range each). Any other search, or a filtered one, finds its
/// matches once through the GIN index (`exact`, with their title tier) and takes the count, the
/// titles and the others from them. Which one runs is settled when Postgres plans the
/// statement: the other's branches are constant-false and never run.
fn ranked_search_paging(q: &str, filtering: &Filtering, limit: &str, offset: &str) -> Paging {
    let end = format!("{limit} + {offset}");
    let one = if filtering.conditions.is_empty() {
        search::is_one_word(q)
    } else {
        "false".to_owned()
    };
    let word = search::one_word(q);
    let in_title = search::in_title(q);
    let exact = filtering.with(search::exact(q));
    let rank = search::exact_rank(q);
    Paging {
        with: format!(
            "exact AS MATERIALIZED (\
                SELECT m.id, m.title_length, {in_title} AS in_title FROM movies m \
                WHERE NOT {one} AND {exact}), \
             exact_count AS MATERIALIZED (SELECT CASE WHEN {one} \
                THEN (SELECT count(*) FROM movie_search_words w WHERE w.lexeme = {word}) \
                ELSE (SELECT count(*) FROM exact) END AS n), \
             titles AS MATERIALIZED (\
                (SELECT w.movie_id AS id, w.title_length FROM movie_search_words w \
                 WHERE {one} AND w.in_title AND w.lexeme = {word} \
                 ORDER BY w.title_length, w.movie_id LIMIT {end}) \
                UNION ALL \
                (SELECT e.id, e.title_length FROM exact e WHERE e.in_title \
                 ORDER BY e.title_length, e.id LIMIT {end})), \
             others AS MATERIALIZED (\
                SELECT x.id, x.rank FROM (\
                    SELECT m.id, {rank} AS rank FROM movies m \
                    WHERE {one} AND (SELECT count(*) FROM titles) < {end} \
                      AND {exact} AND NOT {in_title} \
                    UNION ALL \
                    SELECT m.id, {rank} FROM exact e JOIN movies m ON m.id = e.id \
                    WHERE (SELECT count(*) FROM titles) < {end} AND NOT e.in_title) x \
                ORDER BY x.rank DESC, x.id LIMIT {end}), \
             near AS MATERIALIZED (\
                SELECT m.id, {fuzzy_rank} AS rank FROM movies m \
                WHERE (SELECT n FROM exact_count) = 0 AND {fuzzy}), \
             page AS (\
                SELECT x.id, x.tier, x.title_length, x.rank FROM (\
                    SELECT id, 1 AS tier, title_length, 0::real AS rank FROM titles \
                    UNION ALL SELECT id, 2, 0, rank FROM others \
                    UNION ALL SELECT id, 3, 0, rank FROM near) x \
                ORDER BY x.tier, x.title_length, x.rank DESC, x.id LIMIT {limit} OFFSET {offset})",
            fuzzy_rank = search::fuzzy_rank(q),
            fuzzy = filtering.with(search::fuzzy(q)),
        ),
        total: "((SELECT n FROM exact_count) + (SELECT count(*) FROM near))".to_owned(),
        order: "page.tier, page.title_length, page.rank DESC, m.id".to_owned(),
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
    } else if let (1, Some(count)) = (conditions, &filtering.owned_count) {
        count.clone()
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
    } else if let (1, Some(user), true) = (
        filtering.conditions.len(),
        &filtering.favorites_of,
        sort == Sort::default(),
    ) {
        // A user's favorites, newest movies first: a walk of their favorites in that order
        // (each carries its movie's created_at), with no lookup of the movies skipped.
        format!(
            "page AS (SELECT o.movie_id AS id FROM favorites o WHERE o.user_id = {user} \
             ORDER BY o.movie_created_at DESC, o.movie_id DESC LIMIT {limit} OFFSET {offset})"
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
        Some(q) => match filters.sort {
            Some(sort) => sorted_search_paging(q, &filtering, sort, &limit, &offset),
            None => ranked_search_paging(q, &filtering, &limit, &offset),
        },
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
    let found = filtering
        .scope_found
        .as_ref()
        .map(|found| format!(" || ', \"found\" : ' || {found}"))
        .unwrap_or_default();
    let caller = filtering
        .caller_live
        .as_ref()
        .map(|live| format!(" || ', \"caller\" : ' || ({live})::text"))
        .unwrap_or_default();
    let currency = st.arg(Arg::Text(json_string(currency)));
    let purchased_at = match scope {
        // A library also says when each movie became the user's.
        Scope::PurchasesOf(caller) => format!(
            " || ', \"purchased_at\" : ' || to_json((SELECT api_time(o.purchased_at) \
             FROM purchases o WHERE o.movie_id = m.id AND o.user_id = {}))::text",
            st.arg(Arg::Uuid(caller.user_id))
        ),
        _ => String::new(),
    };
    let item = format!(
        "{}{purchased_at} || ', \"poster_url\" : null}}'",
        item_text(&currency)
    );
    // The page's items as JSON text in order, and the poster keys of those that have one
    // (the API signs a link for each).
    st.sql = format!(
        "WITH {with}, \
         listed AS (\
            SELECT string_agg({item}, ', ' ORDER BY {order}) AS items, \
                   json_object_agg(m.id, m.poster_key) FILTER (WHERE m.poster_key IS NOT NULL) \
                       AS posters \
            FROM page JOIN movies m ON m.id = page.id) \
         SELECT '{{\"total\" : ' || {total} || ', \"items\" : [' || coalesce(items, '') \
            || '], \"posters\" : ' || coalesce(posters::text, '{{}}'){unknown}{found}{caller} || '}}' \
         FROM listed"
    );
    st
}

/// `text` as a JSON string (quoted and escaped).
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// One list item as JSON text without its poster link and closing brace, over the movie `m`: its
/// card (kept by triggers, see the movie_cards migration) and the counters that move with every
/// like and rating, priced in `currency` (an SQL expression of a JSON string).
fn item_text(currency: &str) -> String {
    format!(
        "m.card || ', \"currency\" : ' || {currency} \
         || ', \"average_rating\" : ' || coalesce(m.average_rating::text, 'null') \
         || ', \"ratings_count\" : ' || m.ratings_count || ', \"likes\" : ' || m.likes \
         || ', \"dislikes\" : ' || m.dislikes"
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
        assert!(statement.sql.contains("m.genre_ids && '{3,4}'::bigint[]"));
        assert!(statement.sql.contains("l.star_id = (7)::bigint"));
        assert!(
            statement
                .sql
                .contains("(EXISTS (SELECT 1 FROM stars WHERE id = (7)::bigint))::text")
        );
        assert!(statement.sql.contains("m.year >= (1990)::bigint"));
        assert!(statement.sql.contains("ORDER BY m.price ASC, m.id ASC"));
        assert!(statement.sql.contains(r#""unknown""#));
    }

    #[test]
    fn only_a_search_of_the_whole_catalog_can_use_the_stored_words() {
        let search = |genre: Vec<i64>, sort: Option<&str>| MovieFilters {
            search: Some("lighthouse".into()),
            genre,
            sort: sort.map(|sort| sort.parse().unwrap()),
            ..Default::default()
        };
        // The branches that read the stored words are settled by `numnode` when the statement
        // is planned; where they cannot apply they are written constant-false, or not at all.
        let uses_words = |filters: MovieFilters| {
            let sql = build(Scope::All, &filters, "USD").sql;
            sql.contains("movie_search_words") && !sql.contains("CASE WHEN false")
        };
        assert!(uses_words(search(vec![], None)));
        // A filter, or an explicit sort, needs the movies' own columns.
        assert!(!uses_words(search(vec![3], None)));
        assert!(!uses_words(search(vec![], Some("price"))));
        let genre_page = build(Scope::Genre(3), &search(vec![], None), "USD");
        assert!(genre_page.sql.contains("CASE WHEN false"));
        assert!(genre_page.sql.contains("ORDER BY e.title_length, e.id"));
    }

    #[test]
    fn only_the_callers_ids_are_bound_and_search_text_is_quoted() {
        let filters = MovieFilters {
            search: Some(r"it's \".into()),
            ..Default::default()
        };
        let user = Uuid::nil();
        let caller = cinema_shared::auth::TokenHolder {
            user_id: user,
            session_id: Uuid::from_u128(7),
        };
        let statement = build(Scope::FavoritesOf(caller), &filters, "USD");
        assert_eq!(
            statement.args,
            [Arg::Uuid(user), Arg::Uuid(caller.session_id)]
        );
        // The caller's account and session are checked by the list's own statement.
        assert!(
            statement
                .sql
                .contains(r#"', "caller" : ' || (EXISTS (SELECT 1 FROM users u"#)
        );
        assert!(statement.sql.contains("s.id = $2 AND s.revoked_at IS NULL"));
        assert!(statement.sql.contains("o.user_id = $1"));
        assert!(
            !statement
                .sql
                .contains("(SELECT count(*) FROM favorites o WHERE o.user_id = $1)"),
            "a search counts its matches"
        );
        let favorites = build(Scope::FavoritesOf(caller), &MovieFilters::default(), "USD");
        assert!(
            favorites
                .sql
                .contains("ORDER BY o.movie_created_at DESC, o.movie_id DESC")
        );
        let by_price = MovieFilters {
            sort: Some("price".parse().unwrap()),
            ..Default::default()
        };
        let favorites_by_price = build(Scope::FavoritesOf(caller), &by_price, "USD");
        assert!(!favorites_by_price.sql.contains("movie_created_at"));
        assert!(
            favorites.sql.contains(
                r#""total" : ' || (SELECT count(*) FROM favorites o WHERE o.user_id = $1)"#
            )
        );
        assert!(statement.sql.contains(r"E'it''s \\'"));
    }
}
