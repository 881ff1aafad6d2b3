-- Leaders, tag members and tag departments go with their department or tag: the database removes
-- them (ON DELETE CASCADE) instead of each delete doing it by hand. Rows whose department or tag is
-- already gone are removed first.
DELETE FROM department_leaders l
    WHERE NOT EXISTS (SELECT 1 FROM departments d WHERE d.corp_id = l.corp_id AND d.id = l.department_id);
ALTER TABLE department_leaders ADD CONSTRAINT fk_department_leaders_department
    FOREIGN KEY (corp_id, department_id) REFERENCES departments (corp_id, id) ON DELETE CASCADE;

DELETE FROM member_tags m
    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.corp_id = m.corp_id AND t.id = m.tag_id);
ALTER TABLE member_tags ADD CONSTRAINT fk_member_tags_tag
    FOREIGN KEY (corp_id, tag_id) REFERENCES tags (corp_id, id) ON DELETE CASCADE;

DELETE FROM tag_departments x
    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.corp_id = x.corp_id AND t.id = x.tag_id)
       OR NOT EXISTS (SELECT 1 FROM departments d WHERE d.corp_id = x.corp_id AND d.id = x.department_id);
ALTER TABLE tag_departments ADD CONSTRAINT fk_tag_departments_tag
    FOREIGN KEY (corp_id, tag_id) REFERENCES tags (corp_id, id) ON DELETE CASCADE;
ALTER TABLE tag_departments ADD CONSTRAINT fk_tag_departments_department
    FOREIGN KEY (corp_id, department_id) REFERENCES departments (corp_id, id) ON DELETE CASCADE;
