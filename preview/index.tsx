/**
 * `npm run preview`: the panel's React tree in a browser, against an in-memory host with a real
 * photograph as the open document and Spectrum Web Components standing in for UXP's widgets.
 * What differs from Photoshop is listed in docs/plugin.md "Preview".
 */
import './swc';
import { createRoot } from 'react-dom/client';
import { App } from '../src/panels/App';
import { createPanelCommands } from '../src/panels/commands';
import { DEFAULT_POLICY } from '../src/core/policy/policy';
import { canvasCodec } from './canvas-codec';
import { DocumentView } from './DocumentView';
import { PreviewHost } from './preview-host';

const PHOTO = 'photo.jpg';

async function main(): Promise<void> {
  const host = new PreviewHost();
  const response = await fetch(PHOTO);
  if (!response.ok) throw new Error(`${PHOTO}: HTTP ${response.status}`);
  const pixels = await canvasCodec.decode(new Uint8Array(await response.arrayBuffer()));
  host.open('patient-photo.jpg', pixels);
  const commands = createPanelCommands();
  createRoot(document.getElementById('document') as HTMLElement).render(<DocumentView host={host} />);
  createRoot(document.getElementById('panel') as HTMLElement).render(<App host={host} policy={DEFAULT_POLICY} toolVersion="preview" commands={commands} />);
  document.body.setAttribute('data-ready', 'true');
}

main().catch((e: unknown) => {
  document.body.textContent = `The preview could not start: ${e instanceof Error ? e.message : String(e)}`;
});
