import { Dialog } from './Dialog';

// Asked at sign-out while messages are unsent or failed: keep them on this browser
// (sealed, sent after the user's next sign-in here), discard them, or stay signed in.
export function SignOutDialog(props: { count: number; onKeep: () => void; onDiscard: () => void; onCancel: () => void }) {
  const one = props.count === 1;
  return (
    <Dialog title={one ? 'Unsent message' : 'Unsent messages'} onClose={props.onCancel}>
      <p>{one ? '1 message you wrote has not been sent yet.' : `${props.count} messages you wrote have not been sent yet.`}</p>
      <p class="muted">
        {one ? 'Keep it' : 'Keep them'} to send {one ? 'it' : 'them'} when you next sign in on this browser; until then{' '}
        {one ? 'it stays' : 'they stay'} here, sealed so that no one else can read {one ? 'it' : 'them'}.
      </p>
      <div class="dialog-actions">
        <button type="button" class="primary" onClick={props.onKeep}>
          {one ? 'Keep it and sign out' : 'Keep them and sign out'}
        </button>
        <button type="button" class="danger" onClick={props.onDiscard}>
          {one ? 'Discard it and sign out' : 'Discard them and sign out'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Stay signed in
        </button>
      </div>
    </Dialog>
  );
}
