export { bagIdentity, bagSize, buildTagFiles, payloadOxum, type PayloadEntry } from './build';
export { isCalendarDate } from './date';
export { parseDeclaration } from './declaration';
export { ALGORITHMS, type Algorithm, manifestName } from './manifest';
export { parseTagFile, valuesOf } from './tag-file';
export { validateBag, type BagReport, type BagStore } from './validate';
