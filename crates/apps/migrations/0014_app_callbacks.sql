-- An app's callback (接收事件服务器): where WeCom-style events go (sys_approval_change …), with the
-- Token and EncodingAESKey they are signed and encrypted with. An empty URL means none. The key is
-- kept as given: the server needs it to encrypt each event.
ALTER TABLE apps ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN callback_token TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN callback_aes_key TEXT NOT NULL DEFAULT '';
