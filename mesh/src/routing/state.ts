import type { RoutingTable } from './table.ts';

/** Holds the routing table in force; `replace` swaps it whole, requests read it once on arrival. */
export class RoutingState {
  #table: RoutingTable;

  constructor(table: RoutingTable) {
    this.#table = table;
  }

  get table(): RoutingTable {
    return this.#table;
  }

  replace(table: RoutingTable): void {
    this.#table = table;
  }
}
