-- Knowledge search moved out of the database into an in-memory index per process (tantivy,
-- see crates/store/src/kb/index.rs): ts_rank scored every match before the limit, and both
-- databases now rank alike. What stays here is the log the index catches up from: one row
-- per article, with the number of its latest change, given out in commit order (writers take
-- the table in EXCLUSIVE mode).
DROP TABLE kb_search;

CREATE TABLE kb_index_log (
    article_id  BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE
);
