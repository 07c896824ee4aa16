import { DOCUMENT } from '@angular/common';
import { Component, computed, inject, input, output, signal } from '@angular/core';
import type { ConfigObject } from './config-api';
import { objectId, sourceOf, subsetsFor, wizardServices } from './config-view';
import { WizardPanel } from './wizard-panel';
import { type WizardName, wizards } from './wizard-request';

/** One object of the config page: where it comes from, its findings, its YAML and its wizards. */
@Component({
  selector: 'mc-config-object',
  imports: [WizardPanel],
  templateUrl: './config-object.html',
  styleUrl: './config-object.scss',
})
export class ConfigObjectCard {
  readonly object = input.required<ConfigObject>();
  /** Every object: the wizards read the Service's subsets and versions from them. */
  readonly objects = input.required<readonly ConfigObject[]>();
  /** The object the URL names: its YAML is open. */
  readonly target = input(false);
  readonly applied = output<void>();

  protected readonly wizards = wizards;
  protected readonly id = computed(() => objectId(this.object()));
  protected readonly source = computed(() => sourceOf(this.object()));
  protected readonly services = computed(() => wizardServices(this.object(), this.objects()));
  protected readonly open = signal<{ wizard: WizardName; service: string } | undefined>(undefined);
  protected readonly copied = signal('');
  private readonly window = inject(DOCUMENT).defaultView;

  protected subsets(service: string): string[] {
    return subsetsFor(this.objects(), this.object().namespace, service);
  }

  protected openFor(service: string): { wizard: WizardName }[] {
    const open = this.open();
    return open?.service === service ? [open] : [];
  }

  protected isOpen(wizard: WizardName, service: string): boolean {
    const open = this.open();
    return open?.wizard === wizard && open.service === service;
  }

  protected toggle(wizard: WizardName, service: string): void {
    this.open.set(this.isOpen(wizard, service) ? undefined : { wizard, service });
  }

  protected async copy(): Promise<void> {
    try {
      await this.window?.navigator.clipboard.writeText(this.object().yaml);
      this.copied.set('Copied to the clipboard.');
    } catch {
      this.copied.set('The browser refused the clipboard: select the YAML and copy it.');
    }
  }
}
