import { Component } from '@angular/core';

@Component({
  selector: 'mc-explain-page',
  template: `<h1>Explain a request</h1>`,
})
export class ExplainPage {}
