-- Knowledge search moved out of the database into an in-memory index per process (tantivy,
-- see crates/store/src/kb/index.rs): FTS5 scored every match before the limit. What stays
-- here is the log the index catches up from: one row per article, with the number of its
-- latest change, given out in commit order.
DROP TABLE kb_search;

CREATE TABLE kb_index_log (
    article_id  INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL
);
CREATE UNIQUE INDEX kb_index_log_seq ON kb_index_log (seq);
