/**
 * The state of the chat store, shared by its parts. Components read the reactive part; `streams` and
 * `orphans` are the bookkeeping of the realtime ordering (frames.ts).
 */
import { computed, reactive, ref, shallowRef } from 'vue';
import type { ChatEvent, ConvMember, Conversation } from '@/api/chat';
import type { ConvExtras } from '@/chat/conversations';
import type { PendingMessage } from '@/chat/pending';
import type { SeqStream } from '@/chat/stream';
import type { Timeline } from '@/chat/timeline';
import type { SocketState } from '@/realtime/socket';
import { useSessionStore } from '../session';

export function chatState() {
  const session = useSessionStore();
  return {
    me: computed(() => session.user?.userid ?? ''),
    convs: ref<Record<string, Conversation>>({}),
    extras: ref<Record<string, ConvExtras>>({}),
    timelines: reactive<Record<string, Timeline>>({}),
    members: ref<Record<string, ConvMember[]>>({}),
    pending: ref<Record<string, PendingMessage[]>>({}),
    pins: ref<Record<string, ChatEvent[]>>({}),
    drafts: ref<Record<string, string>>({}),
    names: shallowRef(new Map<string, string>()),
    activeId: ref<string | null>(null),
    status: ref<'idle' | 'loading' | 'ready' | 'error'>('idle'),
    loadError: ref<string | null>(null),
    socketState: ref<SocketState>('idle'),
    /** Conversations removed while open (left, removed, dissolved for me): the view leaves them. */
    removedNotice: ref<string | null>(null),
    /** One per known conversation; its `held` is the highest seq applied. */
    streams: new Map<string, SeqStream<ChatEvent>>(),
    /** Events of conversations not known yet, applied once the conversation has been fetched. */
    orphans: new Map<string, ChatEvent[]>(),
  };
}

export type ChatState = ReturnType<typeof chatState>;
