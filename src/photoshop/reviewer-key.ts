import { reviewerKeyFrom, type ReviewerKey } from '../core/signature/keys';
import { uxpStorage } from './uxp-types';

/** The secure-storage key under which the reviewer's Ed25519 key pair is kept (JSON text). */
const STORAGE_KEY = 'deid-photo.reviewer-key';
const decoder = new TextDecoder();

/**
 * The reviewer's signing key in UXP secure storage, created at the first sign-off. Adobe calls
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
      return bytes && bytes.length > 0 ? decoder.decode(bytes) : null;
    },
    write: (text) => uxpStorage.secureStorage.setItem(STORAGE_KEY, text),
  });
}
