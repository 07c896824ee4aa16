import { Component } from '@angular/core';

@Component({
  selector: 'mc-mirrors-page',
  template: `<h1>Mirror comparison</h1>`,
})
export class MirrorsPage {}
