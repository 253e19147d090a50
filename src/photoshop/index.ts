/** The Photoshop adapter: the only code that imports `photoshop` and `uxp`. */
export { createPhotoshopHost } from './photoshop-host';
