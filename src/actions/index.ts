/** The one-click steps the panel calls; each takes the Host port, never a Photoshop object. */
export * from './host';
export type { Session } from './session';
export { startWorkingCopy } from './start';
export { previewObscure, obscureSelection, planObscureStep, type ObscurePreview, type ObscureRequest } from './obscure';
export { cropToSelection } from './crop';
export { finishExport, SIDECAR_SUFFIX, type FinishRequest, type FinishResult } from './finish';
export { listSidecars, openReview, signOffReview, type ReviewState } from './review';
export { saveLinkageRecord } from './linkage';
export { runSelfTest, type SelfTestResult } from './selftest';
