-- A member's retried send (same conversation, sender and client_id) is one message. Earlier copies
-- stored before this rule keep their place in the stream but lose the key, so the first one answers.
UPDATE chat_events SET client_id = NULL
WHERE sender_kind = 'member' AND client_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM chat_events e
    WHERE e.conversation_id = chat_events.conversation_id
      AND e.sender_kind = 'member'
      AND e.sender_id = chat_events.sender_id
      AND e.client_id = chat_events.client_id
      AND e.seq < chat_events.seq
);
-- client_id first: the group commit looks a batch's keys up by client_id alone.
CREATE UNIQUE INDEX ux_chat_events_client_id ON chat_events (client_id, conversation_id, sender_id)
    WHERE sender_kind = 'member' AND client_id IS NOT NULL;
