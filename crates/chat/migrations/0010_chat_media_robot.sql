-- The robot that uploaded a medium through its webhook: a robot may attach only its own uploads.
ALTER TABLE chat_media ADD COLUMN robot_id BIGINT;
