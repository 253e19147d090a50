/**
 * Where each partition of a VP8 key frame ends (RFC 6386): the frame header and the per-macroblock
 * modes in the first partition (sections 9, 19.2, 19.3, 11.2-11.5) and every DCT token in the
 * token partitions (section 13) are read with the boolean decoder (section 7) exactly as a decoder
 * reads them; nothing is reconstructed (no prediction, no inverse transform, no loop filter).
 * The position each boolean decoder has reached when the last macroblock is done is where its
 * partition's data ends: bytes a partition holds beyond it are never read by any decoder.
 *
 * The probability tables are the normative data of RFC 6386: coefficient update probabilities
 * (13.4), default coefficient probabilities (13.5) and key-frame sub-block mode probabilities
 * (11.5, here in libwebp's mode order DC, TM, VE, HE, RD, VR, LD, VL, HD, HU, with its matching
 * tree). Decoding details where the RFC leaves room follow libwebp (src/dec/vp8_dec.c,
 * tree_dec.c), which sharp and browsers decode with.
 */
import { DeidError } from '../errors';

/** RFC 6386 13.4: coeff_update_probs[4][8][3][11], flattened. */
export const COEFF_UPDATE_PROBS = new Uint8Array([
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 176, 246, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  223, 241, 252, 255, 255, 255, 255, 255, 255, 255, 255, 249, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 244, 252, 255, 255, 255, 255, 255, 255, 255, 255, 234, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 246, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  239, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  251, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 254, 253, 255, 254, 255, 255, 255, 255, 255, 255, 250, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255,
  254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  217, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 225, 252, 241, 253, 255, 255, 254, 255, 255, 255, 255,
  234, 250, 241, 250, 253, 255, 253, 254, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  223, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 238, 253, 254, 254, 255, 255, 255, 255, 255, 255, 255,
  255, 248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 249, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  247, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 254, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  186, 251, 250, 255, 255, 255, 255, 255, 255, 255, 255, 234, 251, 244, 254, 255, 255, 255, 255, 255, 255, 255,
  251, 251, 243, 253, 254, 255, 254, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  236, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 253, 253, 254, 254, 255, 255, 255, 255, 255, 255,
  255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  248, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 250, 254, 252, 254, 255, 255, 255, 255, 255, 255, 255,
  248, 254, 249, 253, 255, 255, 255, 255, 255, 255, 255, 255, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255,
  246, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255, 252, 254, 251, 254, 254, 255, 255, 255, 255, 255, 255,
  255, 254, 252, 255, 255, 255, 255, 255, 255, 255, 255, 248, 254, 253, 255, 255, 255, 255, 255, 255, 255, 255,
  253, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  245, 251, 254, 255, 255, 255, 255, 255, 255, 255, 255, 253, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 251, 253, 255, 255, 255, 255, 255, 255, 255, 255, 252, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  249, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
]);

/** RFC 6386 13.5: default_coeff_probs[4][8][3][11], flattened. */
export const DEFAULT_COEFF_PROBS = new Uint8Array([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 253, 136, 254, 255, 228, 219, 128, 128, 128, 128, 128,
  189, 129, 242, 255, 227, 213, 255, 219, 128, 128, 128, 106, 126, 227, 252, 214, 209, 255, 255, 128, 128, 128,
  1, 98, 248, 255, 236, 226, 255, 255, 128, 128, 128, 181, 133, 238, 254, 221, 234, 255, 154, 128, 128, 128,
  78, 134, 202, 247, 198, 180, 255, 219, 128, 128, 128, 1, 185, 249, 255, 243, 255, 128, 128, 128, 128, 128,
  184, 150, 247, 255, 236, 224, 128, 128, 128, 128, 128, 77, 110, 216, 255, 236, 230, 128, 128, 128, 128, 128,
  1, 101, 251, 255, 241, 255, 128, 128, 128, 128, 128, 170, 139, 241, 252, 236, 209, 255, 255, 128, 128, 128,
  37, 116, 196, 243, 228, 255, 255, 255, 128, 128, 128, 1, 204, 254, 255, 245, 255, 128, 128, 128, 128, 128,
  207, 160, 250, 255, 238, 128, 128, 128, 128, 128, 128, 102, 103, 231, 255, 211, 171, 128, 128, 128, 128, 128,
  1, 152, 252, 255, 240, 255, 128, 128, 128, 128, 128, 177, 135, 243, 255, 234, 225, 128, 128, 128, 128, 128,
  80, 129, 211, 255, 194, 224, 128, 128, 128, 128, 128, 1, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
  246, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 255, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  198, 35, 237, 223, 193, 187, 162, 160, 145, 155, 62, 131, 45, 198, 221, 172, 176, 220, 157, 252, 221, 1,
  68, 47, 146, 208, 149, 167, 221, 162, 255, 223, 128, 1, 149, 241, 255, 221, 224, 255, 255, 128, 128, 128,
  184, 141, 234, 253, 222, 220, 255, 199, 128, 128, 128, 81, 99, 181, 242, 176, 190, 249, 202, 255, 255, 128,
  1, 129, 232, 253, 214, 197, 242, 196, 255, 255, 128, 99, 121, 210, 250, 201, 198, 255, 202, 128, 128, 128,
  23, 91, 163, 242, 170, 187, 247, 210, 255, 255, 128, 1, 200, 246, 255, 234, 255, 128, 128, 128, 128, 128,
  109, 178, 241, 255, 231, 245, 255, 255, 128, 128, 128, 44, 130, 201, 253, 205, 192, 255, 255, 128, 128, 128,
  1, 132, 239, 251, 219, 209, 255, 165, 128, 128, 128, 94, 136, 225, 251, 218, 190, 255, 255, 128, 128, 128,
  22, 100, 174, 245, 186, 161, 255, 199, 128, 128, 128, 1, 182, 249, 255, 232, 235, 128, 128, 128, 128, 128,
  124, 143, 241, 255, 227, 234, 128, 128, 128, 128, 128, 35, 77, 181, 251, 193, 211, 255, 205, 128, 128, 128,
  1, 157, 247, 255, 236, 231, 255, 255, 128, 128, 128, 121, 141, 235, 255, 225, 227, 255, 255, 128, 128, 128,
  45, 99, 188, 251, 195, 217, 255, 224, 128, 128, 128, 1, 1, 251, 255, 213, 255, 128, 128, 128, 128, 128,
  203, 1, 248, 255, 255, 128, 128, 128, 128, 128, 128, 137, 1, 177, 255, 224, 255, 128, 128, 128, 128, 128,
  253, 9, 248, 251, 207, 208, 255, 192, 128, 128, 128, 175, 13, 224, 243, 193, 185, 249, 198, 255, 255, 128,
  73, 17, 171, 221, 161, 179, 236, 167, 255, 234, 128, 1, 95, 247, 253, 212, 183, 255, 255, 128, 128, 128,
  239, 90, 244, 250, 211, 209, 255, 255, 128, 128, 128, 155, 77, 195, 248, 188, 195, 255, 255, 128, 128, 128,
  1, 24, 239, 251, 218, 219, 255, 205, 128, 128, 128, 201, 51, 219, 255, 196, 186, 128, 128, 128, 128, 128,
  69, 46, 190, 239, 201, 218, 255, 228, 128, 128, 128, 1, 191, 251, 255, 255, 128, 128, 128, 128, 128, 128,
  223, 165, 249, 255, 213, 255, 128, 128, 128, 128, 128, 141, 124, 248, 255, 255, 128, 128, 128, 128, 128, 128,
  1, 16, 248, 255, 255, 128, 128, 128, 128, 128, 128, 190, 36, 230, 255, 236, 255, 128, 128, 128, 128, 128,
  149, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 1, 226, 255, 128, 128, 128, 128, 128, 128, 128, 128,
  247, 192, 255, 128, 128, 128, 128, 128, 128, 128, 128, 240, 128, 255, 128, 128, 128, 128, 128, 128, 128, 128,
  1, 134, 252, 255, 255, 128, 128, 128, 128, 128, 128, 213, 62, 250, 255, 255, 128, 128, 128, 128, 128, 128,
  55, 93, 255, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  202, 24, 213, 235, 186, 191, 220, 160, 240, 175, 255, 126, 38, 182, 232, 169, 184, 228, 174, 255, 187, 128,
  61, 46, 138, 219, 151, 178, 240, 170, 255, 216, 128, 1, 112, 230, 250, 199, 191, 247, 159, 255, 255, 128,
  166, 109, 228, 252, 211, 215, 255, 174, 128, 128, 128, 39, 77, 162, 232, 172, 180, 245, 178, 255, 255, 128,
  1, 52, 220, 246, 198, 199, 249, 220, 255, 255, 128, 124, 74, 191, 243, 183, 193, 250, 221, 255, 255, 128,
  24, 71, 130, 219, 154, 170, 243, 182, 255, 255, 128, 1, 182, 225, 249, 219, 240, 255, 224, 128, 128, 128,
  149, 150, 226, 252, 216, 205, 255, 171, 128, 128, 128, 28, 108, 170, 242, 183, 194, 254, 223, 255, 255, 128,
  1, 81, 230, 252, 204, 203, 255, 192, 128, 128, 128, 123, 102, 209, 247, 188, 196, 255, 233, 128, 128, 128,
  20, 95, 153, 243, 164, 173, 255, 203, 128, 128, 128, 1, 222, 248, 255, 216, 213, 128, 128, 128, 128, 128,
  168, 175, 246, 252, 235, 205, 255, 255, 128, 128, 128, 47, 116, 215, 255, 211, 212, 255, 255, 128, 128, 128,
  1, 121, 236, 253, 212, 214, 255, 255, 128, 128, 128, 141, 84, 213, 252, 201, 202, 255, 219, 128, 128, 128,
  42, 80, 160, 240, 162, 185, 255, 205, 128, 128, 128, 1, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
  244, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 238, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
]);

/** RFC 6386 11.5: kf_bmode_probs[above][left][9], flattened, in libwebp's mode order. */
const KF_BMODE_PROBS = new Uint8Array([
  231, 120, 48, 89, 115, 113, 120, 152, 112, 152, 179, 64, 126, 170, 118, 46, 70, 95,
  175, 69, 143, 80, 85, 82, 72, 155, 103, 56, 58, 10, 171, 218, 189, 17, 13, 152,
  114, 26, 17, 163, 44, 195, 21, 10, 173, 121, 24, 80, 195, 26, 62, 44, 64, 85,
  144, 71, 10, 38, 171, 213, 144, 34, 26, 170, 46, 55, 19, 136, 160, 33, 206, 71,
  63, 20, 8, 114, 114, 208, 12, 9, 226, 81, 40, 11, 96, 182, 84, 29, 16, 36,
  134, 183, 89, 137, 98, 101, 106, 165, 148, 72, 187, 100, 130, 157, 111, 32, 75, 80,
  66, 102, 167, 99, 74, 62, 40, 234, 128, 41, 53, 9, 178, 241, 141, 26, 8, 107,
  74, 43, 26, 146, 73, 166, 49, 23, 157, 65, 38, 105, 160, 51, 52, 31, 115, 128,
  104, 79, 12, 27, 217, 255, 87, 17, 7, 87, 68, 71, 44, 114, 51, 15, 186, 23,
  47, 41, 14, 110, 182, 183, 21, 17, 194, 66, 45, 25, 102, 197, 189, 23, 18, 22,
  88, 88, 147, 150, 42, 46, 45, 196, 205, 43, 97, 183, 117, 85, 38, 35, 179, 61,
  39, 53, 200, 87, 26, 21, 43, 232, 171, 56, 34, 51, 104, 114, 102, 29, 93, 77,
  39, 28, 85, 171, 58, 165, 90, 98, 64, 34, 22, 116, 206, 23, 34, 43, 166, 73,
  107, 54, 32, 26, 51, 1, 81, 43, 31, 68, 25, 106, 22, 64, 171, 36, 225, 114,
  34, 19, 21, 102, 132, 188, 16, 76, 124, 62, 18, 78, 95, 85, 57, 50, 48, 51,
  193, 101, 35, 159, 215, 111, 89, 46, 111, 60, 148, 31, 172, 219, 228, 21, 18, 111,
  112, 113, 77, 85, 179, 255, 38, 120, 114, 40, 42, 1, 196, 245, 209, 10, 25, 109,
  88, 43, 29, 140, 166, 213, 37, 43, 154, 61, 63, 30, 155, 67, 45, 68, 1, 209,
  100, 80, 8, 43, 154, 1, 51, 26, 71, 142, 78, 78, 16, 255, 128, 34, 197, 171,
  41, 40, 5, 102, 211, 183, 4, 1, 221, 51, 50, 17, 168, 209, 192, 23, 25, 82,
  138, 31, 36, 171, 27, 166, 38, 44, 229, 67, 87, 58, 169, 82, 115, 26, 59, 179,
  63, 59, 90, 180, 59, 166, 93, 73, 154, 40, 40, 21, 116, 143, 209, 34, 39, 175,
  47, 15, 16, 183, 34, 223, 49, 45, 183, 46, 17, 33, 183, 6, 98, 15, 32, 183,
  57, 46, 22, 24, 128, 1, 54, 17, 37, 65, 32, 73, 115, 28, 128, 23, 128, 205,
  40, 3, 9, 115, 51, 192, 18, 6, 223, 87, 37, 9, 115, 59, 77, 64, 21, 47,
  104, 55, 44, 218, 9, 54, 53, 130, 226, 64, 90, 70, 205, 40, 41, 23, 26, 57,
  54, 57, 112, 184, 5, 41, 38, 166, 213, 30, 34, 26, 133, 152, 116, 10, 32, 134,
  39, 19, 53, 221, 26, 114, 32, 73, 255, 31, 9, 65, 234, 2, 15, 1, 118, 73,
  75, 32, 12, 51, 192, 255, 160, 43, 51, 88, 31, 35, 67, 102, 85, 55, 186, 85,
  56, 21, 23, 111, 59, 205, 45, 37, 192, 55, 38, 70, 124, 73, 102, 1, 34, 98,
  125, 98, 42, 88, 104, 85, 117, 175, 82, 95, 84, 53, 89, 128, 100, 113, 101, 45,
  75, 79, 123, 47, 51, 128, 81, 171, 1, 57, 17, 5, 71, 102, 57, 53, 41, 49,
  38, 33, 13, 121, 57, 73, 26, 1, 85, 41, 10, 67, 138, 77, 110, 90, 47, 114,
  115, 21, 2, 10, 102, 255, 166, 23, 6, 101, 29, 16, 10, 85, 128, 101, 196, 26,
  57, 18, 10, 102, 102, 213, 34, 20, 43, 117, 20, 15, 36, 163, 128, 68, 1, 26,
  102, 61, 71, 37, 34, 53, 31, 243, 192, 69, 60, 71, 38, 73, 119, 28, 222, 37,
  68, 45, 128, 34, 1, 47, 11, 245, 171, 62, 17, 19, 70, 146, 85, 55, 62, 70,
  37, 43, 37, 154, 100, 163, 85, 160, 1, 63, 9, 92, 136, 28, 64, 32, 201, 85,
  75, 15, 9, 9, 64, 255, 184, 119, 16, 86, 6, 28, 5, 64, 255, 25, 248, 1,
  56, 8, 17, 132, 137, 255, 55, 116, 128, 58, 15, 20, 82, 135, 57, 26, 121, 40,
  164, 50, 31, 137, 154, 133, 25, 35, 218, 51, 103, 44, 131, 131, 123, 31, 6, 158,
  86, 40, 64, 135, 148, 224, 45, 183, 128, 22, 26, 17, 131, 240, 154, 14, 1, 209,
  45, 16, 21, 91, 64, 222, 7, 1, 197, 56, 21, 39, 155, 60, 138, 23, 102, 213,
  83, 12, 13, 54, 192, 255, 68, 47, 28, 85, 26, 85, 85, 128, 128, 32, 146, 171,
  18, 11, 7, 63, 144, 171, 4, 4, 246, 35, 27, 10, 146, 174, 171, 12, 26, 128,
  190, 80, 35, 99, 180, 80, 126, 54, 45, 85, 126, 47, 87, 176, 51, 41, 20, 32,
  101, 75, 128, 139, 118, 146, 116, 128, 85, 56, 41, 15, 176, 236, 85, 37, 9, 62,
  71, 30, 17, 119, 118, 255, 17, 18, 138, 101, 38, 60, 138, 55, 70, 43, 26, 142,
  146, 36, 19, 30, 171, 255, 97, 27, 20, 138, 45, 61, 62, 219, 1, 81, 188, 64,
  32, 41, 20, 117, 151, 142, 20, 21, 163, 112, 19, 12, 61, 195, 128, 48, 4, 24,
]);

/** libwebp kYModesIntra4: the sub-block mode tree (RFC 6386 11.2 bmode_tree) in its mode order. */
const BMODE_TREE = [0, 1, -1, 2, -2, 3, 4, 6, -3, 5, -4, -5, -6, 7, -7, 8, -8, -9];
const MODES = 10;
const MODE_PROBS = 9;
/** RFC 6386 13.3: coefficient bands by position (a 17th entry for the position after the last). */
const BANDS = [0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0];
const BAND_COUNT = 8;
const CONTEXTS = 3;
const NODES = 11;
/** RFC 6386 13.2: extra-bit probabilities of DCT_CAT3..DCT_CAT6 (CAT1 and CAT2 are read inline). */
const CAT_PROBS = [[173, 148, 140], [176, 155, 140, 135], [180, 157, 141, 134, 130], [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129]];
/** RFC 6386 9.1: the key frame header before the first partition: tag (3), start code (3), sizes (4). */
const KEY_FRAME_HEADER = 10;
const PARTITION_SIZE_BYTES = 3;
const HALF = 128;

/** RFC 6386 7.3: the boolean decoder. `pos` is how far into its data it has read. */
class BoolDecoder {
  private value: number;
  private range = 255;
  private bitCount = 0;
  pos: number;

  constructor(private readonly bytes: Uint8Array, private readonly start: number, private readonly end: number) {
    this.value = (this.byteAt(start) << 8) | this.byteAt(start + 1);
    this.pos = start + 2;
  }

  private byteAt(i: number): number {
    return i < this.end ? this.bytes[i] : 0;
  }

  bit(prob: number): number {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let result = 0;
    if (this.value >= bigSplit) {
      result = 1;
      this.range -= split;
      this.value -= bigSplit;
    } else {
      this.range = split;
    }
    while (this.range < HALF) {
      this.value <<= 1;
      this.range <<= 1;
      if (++this.bitCount === 8) {
        this.bitCount = 0;
        this.value |= this.byteAt(this.pos++);
      }
    }
    return result;
  }

  literal(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit(HALF);
    return v;
  }

  /** An optional signed value: flag, magnitude, sign (RFC 6386 9.3, 9.6). */
  optionalSigned(n: number): void {
    if (this.bit(HALF)) this.literal(n + 1);
  }

  /** Bytes of its data the decoder has read (it reads up to two bytes ahead of the last bit). */
  used(): number {
    return Math.min(this.pos, this.end) - this.start;
  }

  overran(): boolean {
    return this.pos > this.end + 2;
  }
}

/** A macroblock's modes: mb_skip_coeff set (RFC 6386 9.11); B_PRED, so no Y2 block and its 16 luma blocks code their own DC. */
const SKIPPED = 1;
const SUBBLOCKS = 2;

export interface Vp8Partitions {
  /** Offsets (from the payload start) and sizes of the first partition and of each token partition. */
  parts: Array<{ start: number; size: number; used: number }>;
  /**
   * Token probability updates (RFC 6386 13.4) of tree nodes no DCT token of the frame reads: the
   * 8-bit value (and the flag) decode nothing, so they are free bits. libwebp's encoder updates a
   * node only when its token statistics make the update pay (frame_enc.c FinalizeTokenProbas: an
   * unread node has no statistics, so it never does); read as free space under
   * WalkOptions.scanData.
   */
  unreadUpdates: number;
}

function malformed(what: string): DeidError {
  return new DeidError('malformed', `VP8 bitstream: ${what}`);
}

/**
 * Reads a VP8 key frame (payload of a VP8 chunk, `width` x `height`) and returns, for each
 * partition, how many of its bytes the decoder reads.
 */
export function vp8Partitions(bytes: Uint8Array, start: number, end: number, width: number, height: number): Vp8Partitions {
  const tag = bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16);
  const firstSize = tag >>> 5;
  const firstStart = start + KEY_FRAME_HEADER;
  if (firstStart + firstSize > end) throw malformed('first partition runs past the chunk');
  const br = new BoolDecoder(bytes, firstStart, firstStart + firstSize);
  // RFC 6386 9.2: colour space and clamping type.
  br.literal(2);
  // 9.3: segmentation.
  let updateMap = false;
  const segmentProbs = [255, 255, 255];
  if (br.bit(HALF)) {
    updateMap = br.bit(HALF) === 1;
    if (br.bit(HALF)) {
      br.bit(HALF);
      for (let s = 0; s < 4; s++) br.optionalSigned(7);
      for (let s = 0; s < 4; s++) br.optionalSigned(6);
    }
    if (updateMap) for (let s = 0; s < 3; s++) segmentProbs[s] = br.bit(HALF) ? br.literal(8) : 255;
  }
  // 9.6: filter type, level, sharpness, deltas.
  br.literal(1 + 6 + 3);
  if (br.bit(HALF) && br.bit(HALF)) for (let i = 0; i < 8; i++) br.optionalSigned(6);
  // 9.5: token partitions.
  const partitions = 1 << br.literal(2);
  const sizesAt = firstStart + firstSize;
  let partStart = sizesAt + PARTITION_SIZE_BYTES * (partitions - 1);
  if (partStart > end) throw malformed('partition sizes run past the chunk');
  const parts: Array<{ start: number; size: number; used: number }> = [{ start: firstStart - start, size: firstSize, used: 0 }];
  const tokenReaders: BoolDecoder[] = [];
  for (let p = 0; p < partitions; p++) {
    const at = sizesAt + PARTITION_SIZE_BYTES * p;
    const size = p < partitions - 1 ? bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) : end - partStart;
    if (partStart + size > end) throw malformed('token partition runs past the chunk');
    parts.push({ start: partStart - start, size, used: 0 });
    tokenReaders.push(new BoolDecoder(bytes, partStart, partStart + size));
    partStart += size;
  }
  // 9.6: quantizer indices (y_ac_qi, then five optional deltas).
  br.literal(7);
  for (let i = 0; i < 5; i++) br.optionalSigned(4);
  // 9.7-9.8: refresh_entropy_probs, then 13.4 token probability updates.
  br.bit(HALF);
  const probs = DEFAULT_COEFF_PROBS.slice();
  const updated = new Uint8Array(probs.length);
  for (let i = 0; i < probs.length; i++) {
    if (br.bit(COEFF_UPDATE_PROBS[i])) {
      probs[i] = br.literal(8);
      updated[i] = 1;
    }
  }
  /** Which token probabilities some token reads (`read(p)` in place of `probs[p]`). */
  const touched = new Uint8Array(probs.length);
  const read = (p: number): number => {
    touched[p] = 1;
    return probs[p];
  };
  // 9.10-9.11: mb_no_coeff_skip and prob_skip_false.
  const useSkip = br.bit(HALF) === 1;
  const skipProb = useSkip ? br.literal(8) : 0;

  const mbWidth = (width + 15) >> 4;
  const mbHeight = (height + 15) >> 4;
  // 19.3 / 11.2-11.5: per-macroblock modes, row by row.
  const above = new Uint8Array(4 * mbWidth);
  // Per macroblock: SKIPPED | SUBBLOCKS (one byte each, not an object: a 16383 x 16383 frame has a million).
  const modes = new Uint8Array(mbWidth * mbHeight);
  for (let y = 0; y < mbHeight; y++) {
    const left = new Uint8Array(4);
    for (let x = 0; x < mbWidth; x++) {
      if (updateMap) {
        if (br.bit(segmentProbs[0])) br.bit(segmentProbs[2]);
        else br.bit(segmentProbs[1]);
      }
      const skip = useSkip && br.bit(skipProb) === 1;
      const subblocks = br.bit(145) === 0;
      if (!subblocks) {
        // 11.2 kf_ymode_tree: DC/V/H/TM; sub-block contexts take the matching B mode.
        const mode = br.bit(156) ? (br.bit(128) ? 1 : 3) : br.bit(163) ? 2 : 0;
        above.fill(mode, 4 * x, 4 * x + 4);
        left.fill(mode);
      } else {
        for (let by = 0; by < 4; by++) {
          let mode = left[by];
          for (let bx = 0; bx < 4; bx++) {
            const base = (above[4 * x + bx] * MODES + mode) * MODE_PROBS;
            let i = BMODE_TREE[br.bit(KF_BMODE_PROBS[base])];
            while (i > 0) i = BMODE_TREE[2 * i + br.bit(KF_BMODE_PROBS[base + i])];
            mode = -i;
            above[4 * x + bx] = mode;
          }
          left[by] = mode;
        }
      }
      // 11.4 uv_mode_tree.
      if (br.bit(142) && br.bit(114)) br.bit(183);
      modes[y * mbWidth + x] = (skip ? SKIPPED : 0) | (subblocks ? SUBBLOCKS : 0);
    }
    // Past its end the partition reads as zeros and stays overrun: stopping at the first such
    // row gives the verdict the end would, without reading a million macroblocks of nothing
    // (libwebp stops there too: vp8_dec.c ParseFrame, "Premature end-of-partition0").
    if (br.overran()) throw new DeidError('truncated', 'VP8 bitstream: first partition ends early');
  }
  parts[0].used = br.used();

  // 13: DCT tokens. Non-zero contexts: per 4x4 block column above, per row on the left.
  const aboveY = new Uint8Array(4 * mbWidth);
  const aboveU = new Uint8Array(2 * mbWidth);
  const aboveV = new Uint8Array(2 * mbWidth);
  const aboveDc = new Uint8Array(mbWidth);
  const prob = (type: number, band: number, ctx: number) => ((type * BAND_COUNT + band) * CONTEXTS + ctx) * NODES;
  /** libwebp GetCoeffs: returns the position after the last token read (16, or where EOB came). */
  const coefficients = (r: BoolDecoder, type: number, ctx: number, first: number): number => {
    let p = prob(type, BANDS[first], ctx);
    for (let n = first; n < 16; n++) {
      if (!r.bit(read(p))) return n;
      while (!r.bit(read(p + 1))) {
        p = prob(type, BANDS[++n], 0);
        if (n === 16) return 16;
      }
      let next: number;
      if (!r.bit(read(p + 2))) {
        next = 1;
      } else {
        largeValue(r, p);
        next = 2;
      }
      r.bit(HALF); // sign
      p = prob(type, BANDS[n + 1], next);
    }
    return 16;
  };
  const largeValue = (r: BoolDecoder, p: number): void => {
    if (!r.bit(read(p + 3))) {
      if (r.bit(read(p + 4))) r.bit(read(p + 5));
    } else if (!r.bit(read(p + 6))) {
      if (!r.bit(read(p + 7))) r.bit(159);
      else {
        r.bit(165);
        r.bit(145);
      }
    } else {
      const bit1 = r.bit(read(p + 8));
      const bit0 = r.bit(read(p + 9 + bit1));
      for (const q of CAT_PROBS[2 * bit1 + bit0]) r.bit(q);
    }
  };
  for (let y = 0; y < mbHeight; y++) {
    const r = tokenReaders[y & (partitions - 1)];
    const leftY = new Uint8Array(4);
    const leftU = new Uint8Array(2);
    const leftV = new Uint8Array(2);
    let leftDc = 0;
    for (let x = 0; x < mbWidth; x++) {
      const m = modes[y * mbWidth + x];
      if (m & SKIPPED) {
        aboveY.fill(0, 4 * x, 4 * x + 4);
        aboveU.fill(0, 2 * x, 2 * x + 2);
        aboveV.fill(0, 2 * x, 2 * x + 2);
        leftY.fill(0);
        leftU.fill(0);
        leftV.fill(0);
        if (!(m & SUBBLOCKS)) {
          aboveDc[x] = 0;
          leftDc = 0;
        }
        continue;
      }
      let first = 0;
      let type = 3;
      if (!(m & SUBBLOCKS)) {
        const nz = coefficients(r, 1, aboveDc[x] + leftDc, 0) > 0 ? 1 : 0;
        aboveDc[x] = nz;
        leftDc = nz;
        first = 1;
        type = 0;
      }
      for (let by = 0; by < 4; by++) {
        for (let bx = 0; bx < 4; bx++) {
          const nz = coefficients(r, type, aboveY[4 * x + bx] + leftY[by], first) > first ? 1 : 0;
          aboveY[4 * x + bx] = nz;
          leftY[by] = nz;
        }
      }
      for (const [aboveC, leftC] of [[aboveU, leftU], [aboveV, leftV]] as const) {
        for (let by = 0; by < 2; by++) {
          for (let bx = 0; bx < 2; bx++) {
            const nz = coefficients(r, 2, aboveC[2 * x + bx] + leftC[by], 0) > 0 ? 1 : 0;
            aboveC[2 * x + bx] = nz;
            leftC[by] = nz;
          }
        }
      }
    }
    // As for the first partition (libwebp: "Premature end-of-file encountered" in ParseFrame).
    if (r.overran()) throw new DeidError('truncated', 'VP8 bitstream: a token partition ends early');
  }
  tokenReaders.forEach((r, p) => {
    if (r.overran()) throw new DeidError('truncated', 'VP8 bitstream: a token partition ends early');
    parts[p + 1].used = r.used();
  });
  let unreadUpdates = 0;
  for (let i = 0; i < updated.length; i++) if (updated[i] && !touched[i]) unreadUpdates++;
  return { parts, unreadUpdates };
}

/**
 * libwebp's encoder (VP8BitWriterFinish) flushes up to this many bytes past the point the
 * boolean decoder has read to: the writer's padding, never read. Measured on libwebp output of
 * many sizes and qualities; anything beyond it in a partition is hidden data.
 */
export const VP8_FLUSH_SLACK = 2;

/**
 * The VP8 payload with every partition cut to what the decoder reads plus the encoder's flush
 * slack, the first partition's size (frame tag, RFC 6386 9.1) and the token partition sizes
 * (9.5) rewritten to match; null when nothing needs cutting. `hidden` counts the bytes removed.
 */
export function vp8Trimmed(bytes: Uint8Array, start: number, end: number, width: number, height: number): { hidden: number; payload: Uint8Array | null; unreadUpdates: number } {
  const { parts, unreadUpdates } = vp8Partitions(bytes, start, end, width, height);
  const keep = parts.map((p) => Math.min(p.size, p.used + VP8_FLUSH_SLACK));
  const hidden = parts.reduce((n, p, i) => n + p.size - keep[i], 0);
  if (hidden === 0) return { hidden, payload: null, unreadUpdates };
  const tokenParts = parts.length - 1;
  const out = new Uint8Array(end - start - hidden);
  out.set(bytes.subarray(start, start + KEY_FRAME_HEADER));
  const tag = (bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16)) & 0x1f;
  const newTag = tag | (keep[0] << 5);
  out[0] = newTag & 0xff;
  out[1] = (newTag >> 8) & 0xff;
  out[2] = (newTag >> 16) & 0xff;
  let at = KEY_FRAME_HEADER;
  out.set(bytes.subarray(start + parts[0].start, start + parts[0].start + keep[0]), at);
  at += keep[0];
  for (let p = 1; p < tokenParts; p++) {
    out[at++] = keep[p] & 0xff;
    out[at++] = (keep[p] >> 8) & 0xff;
    out[at++] = (keep[p] >> 16) & 0xff;
  }
  for (let p = 1; p <= tokenParts; p++) {
    out.set(bytes.subarray(start + parts[p].start, start + parts[p].start + keep[p]), at);
    at += keep[p];
  }
  return { hidden, payload: out, unreadUpdates };
}
