// The control plane's durable state: each account's network model, every flow log, and which
// account's network this host realizes. Owns the networks, flow_logs and dataplane_owner tables.

import type { Database, Transaction } from '../store/index.ts';
import type { FlowLog, NetworkModel } from '../model/index.ts';

export interface LoadedState {
  readonly networks: readonly NetworkModel[];
  readonly flowLogs: readonly FlowLog[];
  readonly realizedAccount: string | undefined;
}

export class ControlStateStore {
  constructor(private readonly db: Database) {}

  async load(): Promise<LoadedState> {
    const networks = (await this.db.all('SELECT model FROM networks ORDER BY account_id')).map((r) => JSON.parse(String(r.model)) as NetworkModel);
    const flowLogs = (await this.db.all('SELECT body FROM flow_logs ORDER BY created_at, flow_log_id')).map((r) => JSON.parse(String(r.body)) as FlowLog);
    const owner = await this.db.all('SELECT account_id FROM dataplane_owner WHERE id = 1');
    return { networks, flowLogs, realizedAccount: owner.length ? String(owner[0]!.account_id) : undefined };
  }

  transaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new StateTransaction(tx)));
  }

  /** Records (or, with undefined, forgets) the account whose network this host realizes. */
  setRealizedAccount(account: string | undefined): Promise<void> {
    return this.transaction((tx) => tx.setRealizedAccount(account));
  }
}

export class StateTransaction {
  /** The store transaction, for other tables that commit with the control plane's state (archive bucket claims). */
  constructor(readonly tx: Transaction) {}

  putNetwork(model: NetworkModel, updatedAt: number): Promise<void> {
    return this.tx.run('INSERT OR REPLACE INTO networks VALUES ($1, $2, $3)', [model.account, JSON.stringify(model), BigInt(updatedAt)]);
  }

  insertFlowLog(fl: FlowLog): Promise<void> {
    return this.tx.run('INSERT INTO flow_logs VALUES ($1, $2, $3, $4)', [fl.flowLogId, fl.accountId, JSON.stringify(fl), BigInt(fl.creationTime)]);
  }

  updateFlowLog(fl: FlowLog): Promise<void> {
    return this.tx.run('UPDATE flow_logs SET body = $2 WHERE flow_log_id = $1', [fl.flowLogId, JSON.stringify(fl)]);
  }

  async setRealizedAccount(account: string | undefined): Promise<void> {
    await this.tx.run('DELETE FROM dataplane_owner');
    if (account !== undefined) await this.tx.run('INSERT INTO dataplane_owner VALUES (1, $1)', [account]);
  }

  deleteFlowLog(flowLogId: string): Promise<void> {
    return this.tx.run('DELETE FROM flow_logs WHERE flow_log_id = $1', [flowLogId]);
  }
}
