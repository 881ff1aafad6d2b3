-- Messages stored but not yet in the search index. The message writer records their ids in its own
-- transaction; the indexer (modules/chat/search.rs) cuts their words and indexes them in a separate
-- one, off the writer's commit path, and a search first indexes whatever is still pending, so it
-- always finds what was sent before it. See docs/adr/0006-message-search.md.
CREATE TABLE chat_search_pending (
    event_id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL
);

-- The index now also holds every pair of adjacent Chinese characters: it is emptied here and filled
-- again by the backfill job.
INSERT INTO chat_search_fts (chat_search_fts) VALUES ('delete-all');
DELETE FROM chat_search;
