/**
 * Confirm-then-act: shows the app's ConfirmDialog and runs the action only on acceptance. The
 * dialog focuses the safe choice (Cancel) first, so Enter never confirms by accident.
 */
import { useConfirm } from 'primevue/useconfirm';

export interface ConfirmOptions {
  header: string;
  message: string;
  acceptLabel: string;
  /** Destructive actions get a red button. */
  danger?: boolean;
}

export function useConfirmAction() {
  const confirm = useConfirm();
  return (options: ConfirmOptions, action: () => void | Promise<void>): void => {
    confirm.require({
      header: options.header,
      message: options.message,
      icon: options.danger ? 'pi pi-exclamation-triangle' : 'pi pi-info-circle',
      defaultFocus: 'reject',
      rejectProps: { label: 'Cancel', severity: 'secondary', outlined: true },
      acceptProps: { label: options.acceptLabel, severity: options.danger ? 'danger' : 'primary' },
      accept: () => {
        void action();
      },
    });
  };
}
