import { useEffect } from 'react';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';

/**
 * The export folder (shared by Finish and Checklist). The folder chosen last time is offered
 * again; a remembered folder whose permission went stale comes back as null and must be chosen anew.
 */
export function FolderChooser({ host, runner, folder, setFolder }: StepProps): JSX.Element {
  useEffect(() => {
    if (folder) return undefined;
    let live = true;
    host.rememberedOutputFolder().then(
      (remembered) => {
        if (live && remembered) setFolder(remembered);
      },
      // A stale token is not an error worth showing: the user simply chooses again.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [host, folder, setFolder]);
  const choose = (): void => {
    void runner.run('Waiting for the folder dialog...', async () => {
      const picked = await host.chooseOutputFolder();
      if (picked) setFolder(picked);
    });
  };
  return (
    <div className="deid-row">
      <sp-body data-testid="folder-name">{folder ? `Folder: ${folder.name}` : 'No folder chosen.'}</sp-body>
      <SpButton onClick={choose} debounce disabled={runner.busy !== null} variant="secondary" testId="choose-folder">
        Choose folder...
      </SpButton>
    </div>
  );
}
