/** Ensembl-style database names: homo_sapiens_core_110_38, ensembl_compara_110, ensembl_ancestral_110. */
export interface ParsedName {
  species: string;
  type: string;
  release?: number;
  assembly?: string;
}

export function parseDatabaseName(name: string): ParsedName {
  const genome = /^([a-z0-9]+(?:_[a-z0-9]+)+?)_(core|rnaseq|cdna|otherfeatures|variation|funcgen)_(\d+)_(\w+)$/.exec(name);
  if (genome) return { species: genome[1], type: genome[2], release: Number(genome[3]), assembly: genome[4] };
  const multi = /^ensembl_(compara|ancestral)_(\d+)$/.exec(name);
  if (multi) return { species: 'multi', type: multi[1], release: Number(multi[2]) };
  return { species: name, type: 'other' };
}
