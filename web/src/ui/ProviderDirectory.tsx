import { useState } from 'preact/hooks';
import { ApiError } from '../lib/http';
import { isInvited, providerDetails, providerLabel, searchProblem } from '../lib/providers';
import type { AppStore } from '../lib/store';
import type { Provider, ProviderQuery } from '../lib/types';
import { Dialog } from './Dialog';

const kFields: { key: keyof ProviderQuery; label: string; hint: string }[] = [
  { key: 'q', label: 'Name', hint: 'Family name first: wiebe da' },
  { key: 'taxonomy', label: 'Specialty', hint: 'Words or a NUCC code: cardio' },
  { key: 'city', label: 'City', hint: 'With the state' },
  { key: 'state', label: 'State', hint: 'NE' },
  { key: 'npi', label: 'NPI', hint: '10 digits' },
];

// The US provider directory (NPPES, docs/npi.md): search by name, specialty, city and
// state, or NPI. Opened from a conversation (threadId set) each provider found can be
// invited to it.
export function ProviderDirectory(props: { store: AppStore; threadId?: number; onClose: () => void }) {
  const { store, threadId } = props;
  const [query, setQuery] = useState<ProviderQuery>({});
  const [found, setFound] = useState<Provider[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const state = threadId === undefined ? undefined : store.threads.get(threadId);
  const invitations = state?.invitations ?? [];

  async function search(event: Event) {
    event.preventDefault();
    setDone('');
    const local = searchProblem(query);
    setProblem(local);
    if (local) return;
    setBusy(true);
    try {
      setFound(await store.api.providers({ ...query, limit: 50 }));
    } catch (caught) {
      setProblem(caught instanceof ApiError ? caught.message : 'The search did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  async function invite(provider: Provider) {
    if (threadId === undefined) return;
    setProblem(null);
    setDone('');
    try {
      await store.inviteProvider(threadId, provider.npi);
      setDone(`${providerLabel(provider)} is invited to this conversation.`);
    } catch (caught) {
      setProblem(caught instanceof ApiError ? caught.message : 'The invitation did not go through. Try again.');
    }
  }

  return (
    <Dialog title={threadId === undefined ? 'Provider directory' : 'Invite a provider'} onClose={props.onClose} wide>
      <p class="muted small">Every US provider of the national registry (NPPES). Outside providers are invited; what reaches them follows.</p>
      <form class="provider-search" onSubmit={(event) => void search(event)}>
        <div class="provider-fields">
          {kFields.map((field) => (
            <div key={field.key}>
              <label for={`provider-${field.key}`}>{field.label}</label>
              <input
                id={`provider-${field.key}`}
                type="search"
                placeholder={field.hint}
                value={String(query[field.key] ?? '')}
                onInput={(e) => setQuery({ ...query, [field.key]: (e.target as HTMLInputElement).value })}
                autoFocus={field.key === 'q'}
              />
            </div>
          ))}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <p class="muted small" role="status">
        {done}
      </p>
      {found && (
        <>
          <h3 class="list-heading">{found.length === 0 ? 'No provider matches.' : found.length === 1 ? '1 provider' : `${found.length} providers`}</h3>
          <ul class="pick-list provider-list" aria-label="Providers">
            {found.map((provider) => (
              <li key={provider.npi} class="provider" data-npi={provider.npi}>
                <div class="provider-text">
                  <span class="pick-name">{providerLabel(provider)}</span>
                  <span class="muted small">{providerDetails(provider)}</span>
                  <span class="muted small">NPI {provider.npi}</span>
                </div>
                {threadId !== undefined &&
                  (isInvited(invitations, provider.npi) ? (
                    <span class="muted small invited">Invited</span>
                  ) : (
                    <button type="button" class="secondary" aria-label={`Invite ${providerLabel(provider)}`} onClick={() => void invite(provider)}>
                      Invite
                    </button>
                  ))}
              </li>
            ))}
          </ul>
        </>
      )}
    </Dialog>
  );
}
