import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import type { Host, OutputFolder, Session } from '../actions';
import type { Policy } from '../core/policy/types';
import type { PanelCommands } from './commands';
import { observeProgress } from './progress-host';
import type { StepProps } from './step-props';
import { CropStep } from './steps/CropStep';
import { FinishStep } from './steps/FinishStep';
import { LinkageStep } from './steps/LinkageStep';
import { ObscureStep } from './steps/ObscureStep';
import { ReviewStep } from './steps/ReviewStep';
import { SelfTestView } from './steps/SelfTestView';
import { StartStep } from './steps/StartStep';
import { useRunner } from './use-runner';
import { SpButton } from './widgets/SpButton';
import { Status } from './widgets/Status';

export const TABS = [
  { id: 'start', label: 'Start' },
  { id: 'obscure', label: 'Obscure' },
  { id: 'crop', label: 'Crop' },
  { id: 'finish', label: 'Finish' },
  { id: 'review', label: 'Checklist' },
  { id: 'linkage', label: 'Linkage' },
  { id: 'self-test', label: 'Self-test' },
] as const;
export type TabId = (typeof TABS)[number]['id'];

export interface AppProps {
  host: Host;
  policy: Policy;
  toolVersion: string;
  commands: PanelCommands;
  initialTab?: TabId;
}

/**
 * The panel: one tab per step of the guided flow (DESIGN.md "The guided flow in Photoshop"),
 * plus the reviewer's checklist, the optional linkage record and the self-test. Every step calls
 * src/actions; nothing here touches pixels or Photoshop.
 */
export function App({ host, policy, toolVersion, commands, initialTab = 'start' }: AppProps): JSX.Element {
  const runner = useRunner();
  const { setProgress } = runner;
  const observedHost = useMemo(() => observeProgress(host, setProgress), [host, setProgress]);
  const [tab, setTab] = useState<TabId>(initialTab);
  const [session, setSession] = useState<Session | null>(null);
  const [folder, setFolder] = useState<OutputFolder | null>(null);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const [selfTestRequest, setSelfTestRequest] = useState(0);
  const sessionChanged = useCallback(() => bump(), []);

  useEffect(
    () =>
      commands.subscribe((command) => {
        if (command === 'run-self-test') {
          setTab('self-test');
          setSelfTestRequest((n) => n + 1);
        }
      }),
    [commands],
  );

  const props: StepProps = { host: observedHost, policy, runner, toolVersion, session, setSession, folder, setFolder, sessionChanged };
  return (
    <div className="deid-root">
      <div className="deid-tabs" role="tablist">
        {TABS.map((t) => (
          <SpButton key={t.id} variant={t.id === tab ? 'primary' : 'secondary'} quiet={t.id !== tab} onClick={() => setTab(t.id)} testId={`tab-${t.id}`}>
            {t.label}
          </SpButton>
        ))}
      </div>
      <Status runner={runner} />
      {session ? <sp-detail data-testid="session-id">{`Working copy: ${session.alternateId}`}</sp-detail> : null}
      <div role="tabpanel" data-testid={`panel-${tab}`}>
        {tab === 'start' ? <StartStep {...props} /> : null}
        {tab === 'obscure' ? <ObscureStep {...props} /> : null}
        {tab === 'crop' ? <CropStep {...props} /> : null}
        {tab === 'finish' ? <FinishStep {...props} /> : null}
        {tab === 'review' ? <ReviewStep {...props} /> : null}
        {tab === 'linkage' ? <LinkageStep {...props} /> : null}
        {tab === 'self-test' ? <SelfTestView {...props} runRequest={selfTestRequest} /> : null}
      </div>
      <sp-detail class="deid-muted">{`deid-photo ${toolVersion}`}</sp-detail>
    </div>
  );
}
