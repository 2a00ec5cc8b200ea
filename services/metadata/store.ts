/**
 * The metadata store: every handed-over database with what its name and meta table say. Decides the
 * event a new database makes: new_assembly (species or assembly not seen), new_genebuild (same
 * assembly, another genebuild), other; and which current databases it supersedes.
 */
import type { DatabaseSync } from 'node:sqlite';
import { openStoreFile } from '../db/store-file';
import { type ParsedName, parseDatabaseName } from './names';

export interface DatabaseRecord extends ParsedName {
  name: string;
  uri: string;
  genebuild?: string;
  /** The kind of update the submitter named (new_assembly, new_genebuild, patch, other). */
  updateType?: string;
  token?: string;
  contact?: string;
  comment?: string;
}

export interface Decision {
  type: 'new_assembly' | 'new_genebuild' | 'other';
  superseded: string[];
}

export class MetadataStore {
  private readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = openStoreFile(
      file,
      `CREATE TABLE IF NOT EXISTS databases (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, uri TEXT NOT NULL, type TEXT NOT NULL, species TEXT NOT NULL,
        release INTEGER, assembly TEXT, genebuild TEXT, token TEXT, contact TEXT, comment TEXT,
        handed_over_at TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 1)`,
    );
    // Stores made before submissions carried update_type gain the column.
    const columns = (this.db.prepare('PRAGMA table_info(databases)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('update_type')) this.db.exec('ALTER TABLE databases ADD COLUMN update_type TEXT');
  }

  /** Records the database as current, retiring the current ones of the same species and type (both from its name). */
  record(r: DatabaseRecord): Decision {
    // Only the database's own name says whose records it retires: a record claiming another species or type is a bug upstream.
    const named = parseDatabaseName(r.name);
    if (named.species !== r.species || named.type !== r.type) {
      throw new Error(`${r.name} is not recorded: its name gives ${named.species} ${named.type}, the record says ${r.species} ${r.type}`);
    }
    const current = this.db
      .prepare('SELECT name, assembly, genebuild FROM databases WHERE species = ? AND type = ? AND current = 1')
      .all(r.species, r.type) as Array<{
      name: string;
      assembly: string | null;
      genebuild: string | null;
    }>;
    let type: Decision['type'] = 'other';
    if (r.species !== 'multi' && r.type !== 'other') {
      const sameAssembly = current.filter((c) => (c.assembly ?? null) === (r.assembly ?? null));
      if (sameAssembly.length === 0) type = 'new_assembly';
      else if (!sameAssembly.some((c) => (c.genebuild ?? null) === (r.genebuild ?? null))) type = 'new_genebuild';
    }
    const superseded = current.map((c) => c.name);
    this.db.exec('BEGIN');
    try {
      this.db.prepare('UPDATE databases SET current = 0 WHERE species = ? AND type = ? AND current = 1').run(r.species, r.type);
      this.db
        .prepare(
          `INSERT INTO databases (name, uri, type, species, release, assembly, genebuild, update_type, token, contact, comment, ` +
            `handed_over_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.name,
          r.uri,
          r.type,
          r.species,
          r.release ?? null,
          r.assembly ?? null,
          r.genebuild ?? null,
          r.updateType ?? null,
          r.token ?? null,
          r.contact ?? null,
          r.comment ?? null,
          new Date().toISOString(),
        );
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    return { type, superseded };
  }

  all(): Array<Record<string, unknown>> {
    return this.db.prepare('SELECT * FROM databases ORDER BY id').all();
  }

  close(): void {
    this.db.close();
  }
}
