-- Message search. `chat_search` holds one row per message that is not recalled: what the filters need
-- (conversation, sender, time, kind of content) and `tokens`, the message's searchable text already
-- cut into words (jieba for Chinese, lower-cased words otherwise; modules/chat/search.rs) and joined
-- by spaces. The same table exists on SQLite; only the text index differs (see the .sqlite.sql file
-- and docs/adr/0006-message-search.md).

CREATE TABLE chat_search (
    event_id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    -- The member who sent it; NULL for robots and apps.
    sender_id BIGINT,
    has_file BOOLEAN NOT NULL DEFAULT FALSE,
    has_image BOOLEAN NOT NULL DEFAULT FALSE,
    has_link BOOLEAN NOT NULL DEFAULT FALSE,
    tokens TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_chat_search_conversation ON chat_search (conversation_id, created_at);
CREATE INDEX ix_chat_search_sender ON chat_search (sender_id, created_at);
CREATE INDEX ix_chat_search_files ON chat_search (conversation_id, created_at) WHERE has_file;
CREATE INDEX ix_chat_search_images ON chat_search (conversation_id, created_at) WHERE has_image;
CREATE INDEX ix_chat_search_links ON chat_search (conversation_id, created_at) WHERE has_link;

-- The words as a tsvector under the 'simple' configuration (no stemming, no stop words: the words are
-- already cut and lower-cased), indexed with GIN. Queries use the same expression.
CREATE INDEX ix_chat_search_tokens ON chat_search USING GIN (to_tsvector('simple', tokens));
