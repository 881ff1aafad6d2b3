-- Approvals (审批). A template is offered to submitters; each published change to its form or flow
-- is a new version, and an instance keeps the version it was submitted on. An instance row holds
-- the form values, the route (its steps with each person's state) and the timeline as JSON, so a
-- decision rewrites one row; one task row per person reached feeds the boxes ("waiting for me",
-- "done by me", "CC to me") through small indexes.

CREATE TABLE approval_templates (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    -- The public id (WeCom's template_id).
    template_id TEXT NOT NULL,
    name TEXT NOT NULL,
    group_name TEXT NOT NULL DEFAULT '',
    icon TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- leave, reimbursement, business_trip, purchase, supplies, overtime, punch_correction; NULL for
    -- templates an administrator or an app made.
    builtin TEXT,
    -- JSON {department_ids, userids, tag_ids}; all empty: everyone may submit.
    submitters TEXT NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- Deleted templates stay for the instances that used them.
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL,
    -- The app that created it through oa/approval/create_template (only it may update it there).
    app_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_approval_templates_template_id ON approval_templates (corp_id, template_id);
CREATE UNIQUE INDEX ux_approval_templates_name ON approval_templates (corp_id, name) WHERE NOT deleted;

CREATE TABLE approval_template_versions (
    template_pk BIGINT NOT NULL REFERENCES approval_templates (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    -- JSON: the form's fields and the flow.
    fields TEXT NOT NULL,
    flow TEXT NOT NULL,
    changed_by BIGINT,
    changed_by_name TEXT NOT NULL DEFAULT '',
    changed_at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (template_pk, version)
);

CREATE TABLE approval_instances (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    -- WeCom's sp_no: the submission day (the enterprise's zone) and a counter, "202612070001".
    sp_no TEXT NOT NULL,
    template_pk BIGINT NOT NULL REFERENCES approval_templates (id),
    version BIGINT NOT NULL,
    applicant_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    -- 1 pending, 2 approved, 3 rejected, 4 withdrawn, 5 returned to the applicant.
    status BIGINT NOT NULL,
    -- The index of the current step in the route (meaningful while pending).
    step BIGINT NOT NULL,
    -- JSON: summary lines, form values, route with each person's state, timeline.
    summary TEXT NOT NULL,
    form_values TEXT NOT NULL,
    route TEXT NOT NULL,
    timeline TEXT NOT NULL,
    -- Lower-case text the boxes' search matches (summary and text values).
    search_text TEXT NOT NULL DEFAULT '',
    -- The app that submitted it (oa/applyevent), if any.
    app_id BIGINT,
    submitted_at BIGINT NOT NULL,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_approval_instances_sp_no ON approval_instances (corp_id, sp_no);
CREATE INDEX ix_approval_instances_applicant ON approval_instances (applicant_id, submitted_at);
CREATE INDEX ix_approval_instances_submitted ON approval_instances (corp_id, submitted_at);

-- One row per person reached at a step. kind 1 approve, 2 CC. state 0 waiting for them, 1 approved,
-- 2 rejected, 3 transferred, 4 closed without their action (another decided, withdrawn), 5 CC unread,
-- 6 CC read.
CREATE TABLE approval_tasks (
    instance_id BIGINT NOT NULL REFERENCES approval_instances (id) ON DELETE CASCADE,
    step BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    state BIGINT NOT NULL,
    since BIGINT NOT NULL,
    acted_at BIGINT,
    PRIMARY KEY (instance_id, step, member_id)
);
CREATE INDEX ix_approval_tasks_waiting ON approval_tasks (member_id, since) WHERE state = 0;
CREATE INDEX ix_approval_tasks_done ON approval_tasks (member_id, acted_at) WHERE kind = 1 AND state IN (1, 2, 3);
CREATE INDEX ix_approval_tasks_cc ON approval_tasks (member_id, since) WHERE kind = 2;
