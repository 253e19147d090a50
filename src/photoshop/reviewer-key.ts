import { utf8Decode } from '../actions/text';
import { reviewerKeyFrom, type ReviewerKey } from '../core/signature/keys';
import { uxpStorage } from './uxp-types';

/** The secure-storage key under which the reviewer's Ed25519 key pair is kept (JSON text). */
const STORAGE_KEY = 'deid-photo.reviewer-key';

/**
 * The reviewer's signing key in UXP secure storage (AdobeDocs/uxp src/pages/uxp-api/reference-js/
 * Modules/uxp/Key-Value Storage/SecureStorage.md), created at the first sign-off; its seed comes
 * from crypto.getRandomValues via @noble/curves (UXP v6.2+, reference-js/Global Members/Crypto/
 * Crypto.md). TextDecoder is looked up at use (actions/text.ts), not at module load. Adobe calls
 * secure storage a cache that can be lost (uninstall, damaged credentials): a lost key means a
 * new key and fingerprint, which the study then adds to its trusted list.
 */
export function reviewerKeyFromSecureStorage(): Promise<ReviewerKey> {
  return reviewerKeyFrom({
    read: async () => {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await uxpStorage.secureStorage.getItem(STORAGE_KEY);
      } catch {
        return null;
      }
      return bytes && bytes.length > 0 ? utf8Decode(bytes) : null;
    },
    write: (text) => uxpStorage.secureStorage.setItem(STORAGE_KEY, text),
  });
}
