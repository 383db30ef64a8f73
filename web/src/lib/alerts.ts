// Alerts for incoming messages: a notification while the tab is hidden and a sound,
// different for urgent messages. Notifications never carry message text or patient
// data, only who sent it.

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

export function notify(senderName: string, urgent: boolean, threadId: number, onClick: (threadId: number) => void): void {
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  const title = urgent ? 'Urgent message' : 'New message';
  const notification = new Notification(title, {
    body: `From ${senderName}`,
    tag: `thread-${threadId}`,
    requireInteraction: urgent,
    silent: true,
  });
  notification.onclick = () => {
    window.focus();
    onClick(threadId);
    notification.close();
  };
}

export function documentTitle(unread: number): string {
  return unread > 0 ? `(${unread}) Wardline` : 'Wardline';
}
