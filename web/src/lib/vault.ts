// Encryption of what the app keeps in IndexedDB, with the user's storage key from
// GET /api/v1/me/storage-key (docs/protocol.md): AES-256-GCM with a fresh 96-bit IV per
// value, and associated data naming the record, so a value cannot be moved to another
// record or user. The key is imported as non-extractable.

export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export async function importStorageKey(base64url: string): Promise<CryptoKey> {
  const raw = fromBase64url(base64url);
  if (raw.length !== 32) throw new Error('the storage key must be 32 bytes');
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function seal(key: CryptoKey, plaintext: string, context: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) }, key, encoder.encode(plaintext));
  return { iv, data };
}

// Rejects if the value was changed, sealed for another context or with another key.
export async function unseal(key: CryptoKey, sealed: Sealed, context: string): Promise<string> {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData: encoder.encode(context) }, key, sealed.data);
  return decoder.decode(plain);
}
