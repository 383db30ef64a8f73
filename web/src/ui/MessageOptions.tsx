import { Dialog } from './Dialog';

// What can be done with one message: reply quoting it, copy its text, see its details.
// A dialog, so it is reached the same way by keyboard, touch and pointer.
export function MessageOptions(props: { onReply: () => void; onCopy: () => void; onDetails: () => void; onClose: () => void }) {
  return (
    <Dialog title="Message options" onClose={props.onClose}>
      <div class="option-list">
        <button type="button" class="option" onClick={props.onReply}>
          Reply
        </button>
        <button type="button" class="option" onClick={props.onCopy}>
          Copy text
        </button>
        <button type="button" class="option" onClick={props.onDetails}>
          Details
        </button>
      </div>
    </Dialog>
  );
}
