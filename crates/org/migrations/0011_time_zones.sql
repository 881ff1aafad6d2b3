-- Time zones: each enterprise reads working hours, dates and schedules on its own clock (an IANA name,
-- default Asia/Shanghai); a member may set their own ('' = the enterprise's). See kernel/time.rs.
ALTER TABLE corps ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
ALTER TABLE members ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
