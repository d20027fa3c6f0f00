-- Where each relationship was made and ended: `api`, `web`, `cli` or `inventory:<source>`,
-- as item versions record it. Relationships made before this migration were recorded as made
-- through the API, which is what the history showed for them.
ALTER TABLE ci_relationships ADD COLUMN created_source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE ci_relationships ADD COLUMN deleted_source TEXT;
