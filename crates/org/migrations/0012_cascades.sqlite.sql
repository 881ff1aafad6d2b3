-- Leaders, tag members and tag departments go with their department or tag: the database removes
-- them (ON DELETE CASCADE) instead of each delete doing it by hand. SQLite cannot add a foreign
-- key to a table, so the three tables are rebuilt (rows whose department or tag is already gone are
-- left behind).
CREATE TABLE department_leaders_new (
    corp_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (corp_id, department_id, member_id),
    FOREIGN KEY (corp_id, department_id) REFERENCES departments (corp_id, id) ON DELETE CASCADE
);
INSERT INTO department_leaders_new (corp_id, department_id, member_id)
    SELECT l.corp_id, l.department_id, l.member_id FROM department_leaders l
    WHERE EXISTS (SELECT 1 FROM departments d WHERE d.corp_id = l.corp_id AND d.id = l.department_id);
DROP TABLE department_leaders;
ALTER TABLE department_leaders_new RENAME TO department_leaders;
CREATE INDEX ix_department_leaders_member ON department_leaders (member_id);

CREATE TABLE member_tags_new (
    corp_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (corp_id, tag_id, member_id),
    FOREIGN KEY (corp_id, tag_id) REFERENCES tags (corp_id, id) ON DELETE CASCADE
);
INSERT INTO member_tags_new (corp_id, tag_id, member_id)
    SELECT m.corp_id, m.tag_id, m.member_id FROM member_tags m
    WHERE EXISTS (SELECT 1 FROM tags t WHERE t.corp_id = m.corp_id AND t.id = m.tag_id);
DROP TABLE member_tags;
ALTER TABLE member_tags_new RENAME TO member_tags;
CREATE INDEX ix_member_tags_member ON member_tags (member_id);

CREATE TABLE tag_departments_new (
    corp_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    PRIMARY KEY (corp_id, tag_id, department_id),
    FOREIGN KEY (corp_id, tag_id) REFERENCES tags (corp_id, id) ON DELETE CASCADE,
    FOREIGN KEY (corp_id, department_id) REFERENCES departments (corp_id, id) ON DELETE CASCADE
);
INSERT INTO tag_departments_new (corp_id, tag_id, department_id)
    SELECT x.corp_id, x.tag_id, x.department_id FROM tag_departments x
    WHERE EXISTS (SELECT 1 FROM tags t WHERE t.corp_id = x.corp_id AND t.id = x.tag_id)
      AND EXISTS (SELECT 1 FROM departments d WHERE d.corp_id = x.corp_id AND d.id = x.department_id);
DROP TABLE tag_departments;
ALTER TABLE tag_departments_new RENAME TO tag_departments;
