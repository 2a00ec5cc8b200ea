/**
 * Admission rules, Ensembl-style: which databases may be handed over now, and where they go.
 *   <species>_<type>_<release>_<assembly>  (type: core, rnaseq, cdna, otherfeatures, variation, funcgen)
 *   ensembl_compara_<release>, ensembl_ancestral_<release>
 * Unknown names are refused; the allowed types open and close the handover window (none: closed);
 * a configured release must match the source's meta.schema_version (checked by the workflow).
 */
import { GENOME_TYPES } from '../vocabulary/names';

export interface DatabaseName {
  species: string;
  type: string;
  release: number;
  assembly?: string;
}

export function parseEnsemblName(name: string): DatabaseName | undefined {
  const genome = new RegExp(`^([a-z0-9]+(?:_[a-z0-9]+)*?)_(${GENOME_TYPES.join('|')})_(\\d+)_(\\w+)$`).exec(name);
  if (genome) return { species: genome[1], type: genome[2], release: Number(genome[3]), assembly: genome[4] };
  const multi = /^ensembl_(compara|ancestral)_(\d+)$/.exec(name);
  if (multi) return { species: 'multi', type: multi[1], release: Number(multi[2]) };
  return undefined;
}

export interface AdmissionRules {
  allowedTypes: string[];
  release?: string;
  /** Per-pattern staging servers: the first rule whose pattern matches the database name wins. */
  staging: Array<{ pattern: string; staging_uri: string }>;
  defaultStaging: string;
}

export type Admission =
  { admitted: true; name: DatabaseName; stagingUri: string } | { admitted: false; closed: boolean; field: 'src_uri'; reason: string };

/** Whether a database may be handed over now. Its type comes from its name, never from the submitter. */
export function admit(databaseName: string, rules: AdmissionRules): Admission {
  if (rules.allowedTypes.length === 0) return { admitted: false, closed: true, field: 'src_uri', reason: 'handover is closed' };
  const name = parseEnsemblName(databaseName);
  if (!name) {
    return {
      admitted: false,
      closed: false,
      field: 'src_uri',
      reason:
        `database name ${databaseName} is not an Ensembl name (<species>_<type>_<release>_<assembly>, ` +
        `ensembl_compara_<release> or ensembl_ancestral_<release>)`,
    };
  }
  if (!rules.allowedTypes.includes(name.type)) {
    return {
      admitted: false,
      closed: false,
      field: 'src_uri',
      reason: `${name.type} databases are not being handed over now (open: ${rules.allowedTypes.join(', ')})`,
    };
  }
  const rule = rules.staging.find((r) => new RegExp(r.pattern).test(databaseName));
  return { admitted: true, name, stagingUri: rule?.staging_uri ?? rules.defaultStaging };
}

/** The kind of database a name gives (core, variation, compara...), or 'unknown' for a name that is not Ensembl's. */
export const databaseTypeOf = (databaseName: string) => parseEnsemblName(databaseName)?.type ?? 'unknown';
