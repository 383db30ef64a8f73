import { describe, expect, test } from 'vitest';
import { addAttention, attentionSounds, attentionText, removeAttention, type Attention } from './attention';

describe('attention', () => {
  test('each kind has its text; alert and unanswered sound, a reminder does not', () => {
    expect(attentionText('reminder')).toBe('Reminder: nobody has read your message yet');
    expect(attentionText('unanswered')).toBe('Nobody read your urgent message, and no one is left to escalate it to');
    expect(attentionText('alert')).toBe('Urgent message waiting to be read');
    expect([attentionSounds('alert'), attentionSounds('unanswered'), attentionSounds('reminder')]).toEqual([true, true, false]);
  });

  test('a repeated alert for a message replaces the one shown; newest first', () => {
    const first: Attention = { kind: 'alert', messageId: 20, eventId: 1 };
    const reminder: Attention = { kind: 'reminder', messageId: 20, eventId: 2 };
    const again: Attention = { kind: 'alert', messageId: 20, eventId: 3 };
    let list = addAttention([], first);
    list = addAttention(list, reminder);
    list = addAttention(list, again);
    expect(list).toEqual([again, reminder]);
    expect(removeAttention(list, first)).toEqual([reminder]);
  });
});
