-- Foundation schema. Written once in the SQL both SQLite and PostgreSQL accept: ids are BIGINT made by
-- the application, times are Unix milliseconds, flags are BOOLEAN, unique indexes are named
-- ux_<table>_<column> so constraint errors read the same on both engines.

CREATE TABLE corps (
    id BIGINT PRIMARY KEY,
    corpid TEXT NOT NULL,
    name TEXT NOT NULL,
    industry TEXT NOT NULL DEFAULT '',
    size TEXT NOT NULL DEFAULT '',
    creator_member_id BIGINT,
    password_min_length BIGINT NOT NULL DEFAULT 8,
    password_rotation_days BIGINT NOT NULL DEFAULT 0,
    login_max_failures BIGINT NOT NULL DEFAULT 10,
    login_lock_minutes BIGINT NOT NULL DEFAULT 30,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_corps_corpid ON corps (corpid);

CREATE TABLE departments (
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    id BIGINT NOT NULL,
    parent_id BIGINT,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    ord BIGINT NOT NULL DEFAULT 0,
    -- Materialised path of ids, '/1/4/9/': a subtree is one prefix match.
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, id)
);
CREATE INDEX ix_departments_path ON departments (corp_id, path);
CREATE INDEX ix_departments_parent ON departments (corp_id, parent_id, ord);

CREATE TABLE members (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    userid TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL DEFAULT '',
    employee_no TEXT,
    mobile TEXT,
    email TEXT,
    position TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL DEFAULT '0',
    avatar TEXT NOT NULL DEFAULT '',
    telephone TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    leader_id BIGINT,
    main_department BIGINT NOT NULL DEFAULT 1,
    -- Lower-case text the directory search matches: name, pinyin initials, full pinyin, account, mobile.
    search_key TEXT NOT NULL DEFAULT '',
    pinyin_initials TEXT NOT NULL DEFAULT '',
    sort_key TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_members_userid ON members (corp_id, userid);
CREATE UNIQUE INDEX ux_members_mobile ON members (corp_id, mobile);
CREATE UNIQUE INDEX ux_members_email ON members (corp_id, email);
CREATE INDEX ix_members_leader ON members (corp_id, leader_id);

CREATE TABLE member_departments (
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    department_id BIGINT NOT NULL,
    is_main BOOLEAN NOT NULL DEFAULT FALSE,
    ord BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, department_id)
);
CREATE INDEX ix_member_departments_dept ON member_departments (corp_id, department_id, member_id);

CREATE TABLE department_leaders (
    corp_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (corp_id, department_id, member_id)
);
CREATE INDEX ix_department_leaders_member ON department_leaders (member_id);

CREATE TABLE tags (
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, id)
);
CREATE UNIQUE INDEX ux_tags_name ON tags (corp_id, name);

CREATE TABLE member_tags (
    corp_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (corp_id, tag_id, member_id)
);
CREATE INDEX ix_member_tags_member ON member_tags (member_id);

CREATE TABLE tag_departments (
    corp_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    PRIMARY KEY (corp_id, tag_id, department_id)
);

CREATE TABLE admin_roles (
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    is_super BOOLEAN NOT NULL DEFAULT FALSE,
    -- Comma-separated permission codes and department ids (the scope roots; empty = whole enterprise).
    permissions TEXT NOT NULL DEFAULT '',
    scope_all BOOLEAN NOT NULL DEFAULT TRUE,
    scope_departments TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, member_id)
);

-- Owned by identity: a member's password, apart from the directory record.
CREATE TABLE credentials (
    member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    corp_id BIGINT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE password_history (
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_password_history_member ON password_history (member_id, created_at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    id BIGINT NOT NULL,
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'browser',
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ix_sessions_member ON sessions (member_id);
CREATE UNIQUE INDEX ux_sessions_id ON sessions (id);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    last_failure_at BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE apps (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    agentid BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    logo TEXT NOT NULL DEFAULT '',
    visible_departments TEXT NOT NULL DEFAULT '',
    visible_members TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL,
    secret_rotated_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_apps_agentid ON apps (corp_id, agentid);
CREATE UNIQUE INDEX ux_apps_secret_hash ON apps (secret_hash);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ix_access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE batch_jobs (
    jobid TEXT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    status BIGINT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    percentage BIGINT NOT NULL DEFAULT 0,
    result TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX ix_audit_log_corp_at ON audit_log (corp_id, at);
CREATE INDEX ix_audit_log_target ON audit_log (corp_id, target);

CREATE TABLE jobs (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    -- A key makes scheduling idempotent: the same periodic job is queued once.
    dedup_key TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX ux_jobs_dedup_key ON jobs (dedup_key);

-- Per-enterprise counters for the small integer ids WeCom uses (departments, tags, agentids). The
-- upsert takes a row lock, so concurrent creators on PostgreSQL get distinct values.
CREATE TABLE sequences (
    corp_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (corp_id, name)
);
