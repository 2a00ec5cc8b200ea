/** Ensembl-style database names: homo_sapiens_core_110_38, ensembl_compara_110, ensembl_ancestral_110. */
import { printable } from '../db/names';

export interface ParsedName {
  species: string;
  type: string;
  release?: number;
  assembly?: string;
}

export function parseDatabaseName(name: string): ParsedName {
  const genome = /^([a-z0-9]+(?:_[a-z0-9]+)*?)_(core|rnaseq|cdna|otherfeatures|variation|funcgen)_(\d+)_(\w+)$/.exec(name);
  if (genome) return { species: genome[1], type: genome[2], release: Number(genome[3]), assembly: genome[4] };
  const multi = /^ensembl_(compara|ancestral)_(\d+)$/.exec(name);
  if (multi) return { species: 'multi', type: multi[1], release: Number(multi[2]) };
  return { species: name, type: 'other' };
}

/** A meta table's values, every value of each key (a collection database repeats species keys per species_id). */
export type MetaValues = Map<string, string[]>;

export function metaValues(rows: Array<{ meta_key: string | number; meta_value: string | number | null }>): MetaValues {
  const meta: MetaValues = new Map();
  for (const r of rows) {
    const key = String(r.meta_key);
    const values = meta.get(key);
    if (values) values.push(String(r.meta_value ?? ''));
    else meta.set(key, [String(r.meta_value ?? '')]);
  }
  return meta;
}

/**
 * The schema_type a database of this name declares (Ensembl's SchemaType datacheck: cdna, otherfeatures and rnaseq use the core schema; the
 * ancestral database is a core database).
 */
function expectedSchemaType(type: string): string | undefined {
  if (['core', 'cdna', 'otherfeatures', 'rnaseq', 'ancestral'].includes(type)) return 'core';
  if (['variation', 'funcgen', 'compara'].includes(type)) return type;
  return undefined;
}

/**
 * Where the name and the meta table disagree, as sentences ("the name says mus_musculus but meta
 * species.production_name is homo_sapiens"); empty when they agree. Ensembl's rules
 * (DatabaseSpeciesName, SchemaType datachecks): a single-species database's
 * species.production_name is the part of its name before _<type>_; collection databases
 * (<division>_<n>_collection_core_...) and the multi-species compara and ancestral databases hold
 * other names, so only their schema_type is compared. A key that is missing is not a disagreement
 * (the MetaKeys check reports missing keys).
 */
export function nameMetaProblems(name: string, meta: MetaValues): string[] {
  const parsed = parseDatabaseName(name);
  if (parsed.type === 'other') return []; // not an Ensembl name: nothing to compare
  const problems: string[] = [];
  const collection = /_collection$/.test(parsed.species);
  const species = [...new Set(meta.get('species.production_name') ?? [])];
  if (parsed.species !== 'multi' && !collection && species.length) {
    const other = species.filter((s) => s !== parsed.species);
    if (species.length > 1)
      problems.push(
        `the name says ${parsed.species} but meta has ${species.length} values of species.production_name (${species
          .slice(0, 5)
          .map((s) => printable(s, 60))
          .join(', ')}): a single-species database has one`,
      );
    else if (other.length) problems.push(`the name says ${parsed.species} but meta species.production_name is ${printable(other[0], 80)}`);
  }
  const schemaTypes = [...new Set(meta.get('schema_type') ?? [])];
  const expected = expectedSchemaType(parsed.type);
  if (expected && schemaTypes.length) {
    if (schemaTypes.length > 1)
      problems.push(
        `the name says ${parsed.type} but meta has ${schemaTypes.length} values of schema_type (${schemaTypes
          .slice(0, 5)
          .map((s) => printable(s, 60))
          .join(', ')})`,
      );
    else if (schemaTypes[0] !== expected)
      problems.push(
        `the name says ${parsed.type}${expected !== parsed.type ? ` (schema ${expected})` : ''} but meta schema_type ` +
          `is ${printable(schemaTypes[0], 80)}`,
      );
  }
  return problems;
}
