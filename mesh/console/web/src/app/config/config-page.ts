import { Component } from '@angular/core';

@Component({
  selector: 'mc-config-page',
  template: `<h1>Istio config</h1>`,
})
export class ConfigPage {}
