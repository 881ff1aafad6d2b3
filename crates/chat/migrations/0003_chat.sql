-- Messaging. A conversation's events (messages, recalls, membership and settings changes) form one
-- stream numbered 1, 2, 3, … by `seq` without holes: `chat_conversations.last_seq` is the counter,
-- advanced in the same transaction that inserts the events, so commit order is seq order.

CREATE TABLE chat_conversations (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    -- direct | group | department | company | app
    kind TEXT NOT NULL,
    -- The id WeCom clients use (appchat chatid); unique per enterprise.
    chatid TEXT NOT NULL,
    -- direct: 'lo:hi' member ids; app: 'app:<app id>:<member id>'; department: 'dept:<id>'.
    pair_key TEXT,
    name TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    group_type TEXT NOT NULL DEFAULT '',
    owner_id BIGINT,
    department_id BIGINT,
    app_id BIGINT,
    announcement TEXT NOT NULL DEFAULT '',
    announcement_at BIGINT,
    announcement_by BIGINT,
    only_admins_rename BOOLEAN NOT NULL DEFAULT TRUE,
    at_all_admins_only BOOLEAN NOT NULL DEFAULT TRUE,
    invite_needs_approval BOOLEAN NOT NULL DEFAULT FALSE,
    mute_all BOOLEAN NOT NULL DEFAULT FALSE,
    member_limit BIGINT NOT NULL DEFAULT 2000,
    no_forward_out BOOLEAN NOT NULL DEFAULT FALSE,
    -- active | archived | dissolved
    status TEXT NOT NULL DEFAULT 'active',
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL,
    member_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_chat_conversations_chatid ON chat_conversations (corp_id, chatid);
CREATE UNIQUE INDEX ux_chat_conversations_pair_key ON chat_conversations (corp_id, pair_key);

CREATE TABLE chat_members (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    corp_id BIGINT NOT NULL,
    -- owner | admin | member
    role TEXT NOT NULL DEFAULT 'member',
    -- The member sees events after this seq (history before joining stays private).
    joined_seq BIGINT NOT NULL DEFAULT 0,
    read_seq BIGINT NOT NULL DEFAULT 0,
    muted BOOLEAN NOT NULL DEFAULT FALSE,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    marked_unread BOOLEAN NOT NULL DEFAULT FALSE,
    draft TEXT NOT NULL DEFAULT '',
    announcement_read BOOLEAN NOT NULL DEFAULT FALSE,
    -- Last message or read, for group hygiene.
    last_active_at BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, member_id)
);
CREATE INDEX ix_chat_members_member ON chat_members (member_id, conversation_id);

CREATE TABLE chat_events (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id),
    seq BIGINT NOT NULL,
    id BIGINT NOT NULL,
    corp_id BIGINT NOT NULL,
    -- message | recall | system
    kind TEXT NOT NULL,
    -- member | robot | app | system
    sender_kind TEXT NOT NULL,
    sender_id BIGINT,
    -- The sender as clients know it: userid, robot id or agentid.
    sender_ref TEXT NOT NULL DEFAULT '',
    sender_name TEXT NOT NULL DEFAULT '',
    -- text | markdown | image | file | news | textcard | template_card | chat_record | '' (not a message)
    msg_type TEXT NOT NULL DEFAULT '',
    -- JSON: the content object of the type (docs/api/chat.md).
    content TEXT NOT NULL,
    -- Sanitised HTML of text and markdown messages.
    html TEXT NOT NULL DEFAULT '',
    -- Plain text for previews and search.
    plain TEXT NOT NULL DEFAULT '',
    -- Comma-separated userids mentioned; mention_all for @all.
    mentions TEXT NOT NULL DEFAULT '',
    mention_all BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON snapshot of the quoted message {id, seq, sender_name, excerpt}.
    quote TEXT,
    has_link BOOLEAN NOT NULL DEFAULT FALSE,
    urgent BOOLEAN NOT NULL DEFAULT FALSE,
    not_urgent BOOLEAN NOT NULL DEFAULT FALSE,
    client_id TEXT,
    recalled_at BIGINT,
    recalled_by BIGINT,
    pinned_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX ux_chat_events_id ON chat_events (id);
CREATE INDEX ix_chat_events_sender ON chat_events (corp_id, sender_id, created_at);

CREATE TABLE chat_join_requests (
    id BIGINT PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id),
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    invited_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_chat_join_requests_member ON chat_join_requests (conversation_id, member_id);

CREATE TABLE chat_favourites (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    -- The message as it was when saved: favourites outlive recalls and leaving the group.
    snapshot TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_chat_favourites_event ON chat_favourites (member_id, event_id);

CREATE TABLE chat_media (
    id TEXT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    uploader_id BIGINT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT,
    height BIGINT,
    blob_key TEXT NOT NULL,
    thumb_key TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE chat_robots (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_chat_robots_key_hash ON chat_robots (key_hash);

CREATE TABLE chat_policies (
    corp_id BIGINT PRIMARY KEY REFERENCES corps (id),
    -- JSON: {"receipts": {...}, "naming": {...}, "files": {...}} (docs/api/chat.md)
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
