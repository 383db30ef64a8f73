// Alerts for incoming messages: a notification while the tab is hidden (and always
// while the app is locked) and a sound, different for urgent messages. Notifications
// never carry message text or patient data, only who sent it; while the app is locked
// not even that ("New urgent message").

let audio: AudioContext | null = null;

// Browsers start audio only after a user gesture; call this from one.
export function unlockAudio(): void {
  if (typeof AudioContext === 'undefined') return;
  if (!audio) audio = new AudioContext();
  if (audio.state === 'suspended') void audio.resume();
}

function tone(context: AudioContext, frequency: number, start: number, length: number, volume: number, type: OscillatorType): void {
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(volume, start + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start(start);
  oscillator.stop(start + length + 0.02);
}

// Normal: one soft two-note chime. Urgent: three sharp high beeps, twice.
export function playAlert(urgent: boolean): void {
  if (!audio || audio.state !== 'running') return;
  const now = audio.currentTime + 0.01;
  if (urgent) {
    for (let i = 0; i < 6; i++) tone(audio, i % 3 === 2 ? 1320 : 1046, now + i * 0.16 + (i >= 3 ? 0.25 : 0), 0.12, 0.35, 'square');
  } else {
    tone(audio, 880, now, 0.18, 0.2, 'sine');
    tone(audio, 1174, now + 0.14, 0.22, 0.2, 'sine');
  }
}

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

const shown = new Set<Notification>();

// senderName null: the app is locked, and the notification says only that a message
// came, and whether it is urgent.
export function notify(senderName: string | null, urgent: boolean, threadId: number, onClick: (threadId: number) => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  const locked = senderName === null;
  const title = locked ? (urgent ? 'New urgent message' : 'New message') : urgent ? 'Urgent message' : 'New message';
  const notification = new Notification(title, {
    body: locked ? '' : `From ${senderName}`,
    tag: locked ? 'wardline-locked' : `thread-${threadId}`,
    requireInteraction: urgent,
    silent: true,
  });
  shown.add(notification);
  notification.onclose = () => shown.delete(notification);
  notification.onclick = () => {
    window.focus();
    if (!locked) onClick(threadId);
    notification.close();
  };
}

// Closes the notifications this page showed: at lock, those naming a sender go.
export function closeNotifications(): void {
  for (const notification of shown) notification.close();
  shown.clear();
}

export function documentTitle(unread: number, locked = false): string {
  if (locked) return 'Wardline (locked)';
  return unread > 0 ? `(${unread}) Wardline` : 'Wardline';
}
