/**
 * The MariaDB copy's transfer (services/copy/transfer.ts, planned in transfer-plan.ts) on real servers (the shared
 * part: mariadb-copy.ts): secondary indexes rebuilt exactly as defined, large tables read in primary-key ranges, and
 * an Ensembl-like schema copied exactly. The source is a private MariaDB server; the target the suite's staging server.
 */
import mysql from 'mysql2/promise';
import { planTables, planWork } from '../../services/copy/transfer-plan';
import { dropDatabase } from '../../services/db/database';
import { mariadbUri } from '../helpers/harness';
import type { MariaDb } from '../helpers/mariadb';
import { copy, policy, sourceState, stagingState, staging, startCopySource, stopCopySource } from './mariadb-copy';

let source: MariaDb;

beforeAll(async () => {
  source = await startCopySource();
}, 120_000);
afterAll(stopCopySource);

test('secondary indexes dropped for the load come back exactly as defined; tables with foreign keys or odd keys keep theirs', async () => {
  const db = 'indexes_core_110_1';
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(
    `CREATE TABLE ${db}.parent (id INT PRIMARY KEY, code CHAR(4) NOT NULL, t TEXT, UNIQUE KEY code (code), ` +
      `FULLTEXT KEY t_text (t)) ENGINE=InnoDB`,
  );
  await source.query(
    `CREATE TABLE ${db}.child (id INT AUTO_INCREMENT, parent_id INT, seq INT NOT NULL, PRIMARY KEY (seq, id), ` +
      `UNIQUE KEY id_u (id), KEY parent_id (parent_id),
    CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB`,
  );
  await source.query(
    `CREATE TABLE ${db}.wide (id BIGINT UNSIGNED PRIMARY KEY, a INT, b VARCHAR(200), c DATETIME, KEY abc (a, b(20), ` +
      `c DESC), KEY c_only (c) COMMENT 'it''s ; ok',
    UNIQUE KEY b_a (b, a)) ENGINE=InnoDB`,
  );
  await source.query(`INSERT INTO ${db}.parent SELECT seq, LPAD(seq, 4, '0'), CONCAT('text ', seq) FROM ${db}.seq_1_to_500`);
  await source.query(`INSERT INTO ${db}.child (parent_id, seq) SELECT 1 + seq % 500, seq FROM ${db}.seq_1_to_2000`);
  await source.query(
    `INSERT INTO ${db}.wide SELECT seq * 7, seq % 13, MD5(seq), '2020-01-01' + INTERVAL seq MINUTE FROM ${db}.seq_1_to_3000`,
  );
  const tables = ['child', 'parent', 'wide'];
  const before = await sourceState(db, tables);
  await copy(db, source.uri(db));
  expect(await stagingState(db, tables)).toEqual(before);
  // Which indexes the copy builds after the load (read from the copy's definitions, as the copy reads its temporary schema's).
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  const plans = await planTables(conn, db, tables, new Map()).finally(() => conn.end());
  expect(Object.fromEntries(plans.map((p) => [p.name, p.deferred.map((ix) => ix.name)]))).toEqual({
    child: [],
    parent: [],
    wide: ['b_a', 'abc', 'c_only'],
  });
  await dropDatabase(mariadbUri(staging, db));
});

test('large tables are read in primary-key ranges (gaps, negative and 64-bit keys); other keys are read whole', async () => {
  const db = 'ranges_core_110_1';
  await source.query(`DROP DATABASE IF EXISTS ${db}`);
  await source.query(`CREATE DATABASE ${db}`);
  await source.query(`CREATE TABLE ${db}.big (id BIGINT PRIMARY KEY, v VARCHAR(30), KEY v (v)) ENGINE=InnoDB`);
  await source.query(
    `INSERT INTO ${db}.big SELECT (CAST(seq AS SIGNED) - 2500) * 1000003, CONCAT('v', seq) FROM ${db}.seq_1_to_5000 UNION ALL SELECT ` +
      `9223372036854775807, 'max' UNION ALL SELECT -9223372036854775808, 'min'`,
  );
  await source.query(`CREATE TABLE ${db}.named (name VARCHAR(20) PRIMARY KEY, n INT) ENGINE=InnoDB`);
  await source.query(`INSERT INTO ${db}.named SELECT CONCAT('n', seq), seq FROM ${db}.seq_1_to_3000`);
  const tables = ['big', 'named'];
  const before = await sourceState(db, tables);
  // 1 byte per range: every table with an integer key is cut into the most ranges there may be.
  const out = await copy(db, source.uri(db), { policy, streams: 3, rangeBytes: 1 });
  // The pieces of work: 16 key ranges of `big`, open at both ends, and `named` whole.
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  const plans = await planTables(
    conn,
    db,
    tables,
    new Map([
      ['big', 1000],
      ['named', 1000],
    ]),
  ).finally(() => conn.end());
  const reader = await mysql.createConnection({
    host: source.host,
    port: source.port,
    user: source.user,
    password: source.password,
    database: db,
  });
  const work = await planWork(reader, plans, 1).finally(() => reader.end());
  expect(work.filter((w) => w.table.name === 'named').map((w) => w.where)).toEqual(['']);
  const ranges = work.filter((w) => w.table.name === 'big').map((w) => w.where);
  expect(ranges).toHaveLength(16);
  expect(ranges.filter((w) => !w.includes('>='))).toEqual([' WHERE `id` < -8070450532247928832']);
  expect(ranges.filter((w) => !w.includes('<'))).toHaveLength(1);
  expect(out.tables).toEqual({ big: 5002, named: 3000 });
  expect(await stagingState(db, tables)).toEqual(before);
  await dropDatabase(mariadbUri(staging, db));
});

/** An Ensembl core-like schema with every kind of column, index and table option Ensembl uses (and a few more). */
const ENSEMBL_LIKE = [
  `CREATE TABLE seq_region (seq_region_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, name VARCHAR(255) NOT NULL, ` +
    `coord_system_id INT(10) UNSIGNED NOT NULL, length INT(10) UNSIGNED NOT NULL,   PRIMARY KEY (seq_region_id), ` +
    `UNIQUE KEY name_cs_idx (name, coord_system_id), KEY cs_idx (coord_system_id)) ENGINE=MyISAM DEFAULT CHARSET=latin1`,
  `CREATE TABLE dna (seq_region_id INT(10) UNSIGNED NOT NULL, sequence LONGTEXT NOT NULL, PRIMARY KEY (seq_region_id)) ENGINE=MyISAM ` +
    `MAX_ROWS=750000 AVG_ROW_LENGTH=19000`,
  `CREATE TABLE gene (gene_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, biotype VARCHAR(40) NOT NULL, ` +
    `analysis_id SMALLINT UNSIGNED NOT NULL, seq_region_id INT(10) UNSIGNED NOT NULL,   seq_region_start INT(10) UNSIGNED NOT NULL, ` +
    `seq_region_end INT(10) UNSIGNED NOT NULL, seq_region_strand TINYINT(2) NOT NULL, display_xref_id INT(10) UNSIGNED, ` +
    `source VARCHAR(40) NOT NULL,   description TEXT, is_current TINYINT(1) NOT NULL DEFAULT 1, canonical_transcript_id INT(10) UNSIGNED ` +
    `NOT NULL, stable_id VARCHAR(128) DEFAULT NULL, version SMALLINT UNSIGNED DEFAULT NULL,   created_date DATETIME DEFAULT NULL, ` +
    `modified_date DATETIME DEFAULT NULL,   PRIMARY KEY (gene_id), KEY seq_region_idx (seq_region_id, seq_region_start), ` +
    `KEY xref_id_index (display_xref_id), KEY analysis_idx (analysis_id), KEY stable_id_idx (stable_id, version), ` +
    `KEY canonical_transcript_id_idx (canonical_transcript_id)) ENGINE=MyISAM DEFAULT CHARSET=latin1`,
  `CREATE TABLE analysis (analysis_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT, created DATETIME DEFAULT NULL, ` +
    `logic_name VARCHAR(128) NOT NULL, db VARCHAR(120), db_version VARCHAR(40), program_file VARCHAR(80), parameters TEXT, ` +
    `gff_feature VARCHAR(40),   PRIMARY KEY (analysis_id), UNIQUE KEY logic_name_idx (logic_name)) ENGINE=MyISAM`,
  `CREATE TABLE meta (meta_id INT(10) NOT NULL AUTO_INCREMENT, species_id INT(10) UNSIGNED DEFAULT 1, meta_key VARCHAR(40) NOT NULL, ` +
    `meta_value VARCHAR(255) NOT NULL,   PRIMARY KEY (meta_id), UNIQUE KEY species_key_value_idx (species_id, meta_key, meta_value), ` +
    `KEY species_value_idx (species_id, meta_value)) ENGINE=MyISAM`,
  `CREATE TABLE xref (xref_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, external_db_id INT(10) UNSIGNED NOT NULL, ` +
    `dbprimary_acc VARCHAR(512) NOT NULL, display_label VARCHAR(512) NOT NULL, version VARCHAR(10) DEFAULT NULL,   description TEXT, ` +
    `info_type ENUM('NONE','PROJECTION','MISC','DEPENDENT','DIRECT','SEQUENCE_MATCH',` +
    `'INFERRED_PAIR','PROBE','UNMAPPED','COORDINATE_OVERLAP','CHECKSUM') ` +
    `DEFAULT 'NONE' NOT NULL, info_text VARCHAR(255) DEFAULT '' NOT NULL,   PRIMARY KEY (xref_id), UNIQUE KEY id_index (dbprimary_acc, ` +
    `external_db_id, info_type, info_text, version), KEY display_index (display_label), KEY info_type_idx (info_type)) ENGINE=MyISAM`,
  `CREATE TABLE external_db (external_db_id INT(10) UNSIGNED NOT NULL, db_name VARCHAR(100) NOT NULL, db_release VARCHAR(255), ` +
    `status ENUM('KNOWNXREF','KNOWN','XREF','PRED','ORTH','PSEUDO') NOT NULL, priority INT NOT NULL,   db_display_name VARCHAR(255), ` +
    `type ENUM('ARRAY','ALT_TRANS','ALT_GENE','MISC','LIT','PRIMARY_DB_SYNONYM','ENSEMBL') DEFAULT NULL, ` +
    `secondary_db_name VARCHAR(255) DEFAULT NULL, secondary_db_table VARCHAR(255) DEFAULT NULL, description TEXT, ` +
    `  PRIMARY KEY (external_db_id), UNIQUE KEY db_name_db_release_idx (db_name, db_release)) ENGINE=MyISAM`,
  `CREATE TABLE protein_feature (protein_feature_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, translation_id INT(10) UNSIGNED NOT NULL, ` +
    `seq_start INT(10) NOT NULL, seq_end INT(10) NOT NULL, hit_start INT(10) NOT NULL, hit_end INT(10) NOT NULL, ` +
    `  hit_name VARCHAR(40) NOT NULL, analysis_id SMALLINT UNSIGNED NOT NULL, score DOUBLE, evalue DOUBLE, perc_ident FLOAT, ` +
    `external_data TEXT, hit_description TEXT, cigar_line TEXT, align_type ENUM('ensembl', 'cigar', 'cigarplus', 'vulgar', ` +
    `'mdtag') DEFAULT NULL,   PRIMARY KEY (protein_feature_id), UNIQUE KEY aln_idx (translation_id, hit_name, seq_start, seq_end, ` +
    `hit_start, hit_end, analysis_id), KEY translation_idx (translation_id), KEY hitname_idx (hit_name), ` +
    `KEY analysis_idx (analysis_id)) ENGINE=MyISAM`,
  `CREATE TABLE mapping_session (mapping_session_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, old_db_name VARCHAR(80) NOT NULL DEFAULT ` +
    `'', new_db_name VARCHAR(80) NOT NULL DEFAULT '', old_release VARCHAR(5) NOT NULL DEFAULT '', ` +
    `new_release VARCHAR(5) NOT NULL DEFAULT '',   old_assembly VARCHAR(80) NOT NULL DEFAULT '', ` +
    `new_assembly VARCHAR(80) NOT NULL DEFAULT '', created DATETIME NOT NULL, PRIMARY KEY (mapping_session_id)) ENGINE=MyISAM`,
  `CREATE TABLE misc_set (misc_set_id SMALLINT(5) UNSIGNED NOT NULL AUTO_INCREMENT, code VARCHAR(25) NOT NULL DEFAULT '', ` +
    `name VARCHAR(255) NOT NULL DEFAULT '', description TEXT NOT NULL, max_length INT UNSIGNED NOT NULL,   PRIMARY KEY (misc_set_id), ` +
    `UNIQUE KEY code_idx (code)) ENGINE=MyISAM`,
  `CREATE TABLE attrib_type (attrib_type_id SMALLINT(5) UNSIGNED NOT NULL AUTO_INCREMENT, code VARCHAR(20) NOT NULL DEFAULT '', ` +
    `name VARCHAR(255) NOT NULL DEFAULT '', description TEXT, PRIMARY KEY (attrib_type_id), UNIQUE KEY code_idx (code)) ENGINE=MyISAM`,
  `CREATE TABLE seq_region_attrib (seq_region_id INT(10) UNSIGNED NOT NULL DEFAULT '0', attrib_type_id SMALLINT(5) UNSIGNED NOT NULL ` +
    `DEFAULT '0', value TEXT NOT NULL,   UNIQUE KEY region_attribx (seq_region_id, attrib_type_id, value(500)), ` +
    `KEY type_val_idx (attrib_type_id, value(40)), KEY val_only_idx (value(40)), KEY seq_region_idx (seq_region_id)) ENGINE=MyISAM`,
  `CREATE TABLE density_feature (density_feature_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, density_type_id INT(10) UNSIGNED NOT NULL, ` +
    `seq_region_id INT(10) UNSIGNED NOT NULL, seq_region_start INT(10) UNSIGNED NOT NULL, seq_region_end INT(10) UNSIGNED NOT NULL, ` +
    `  density_value FLOAT NOT NULL, PRIMARY KEY (density_feature_id), KEY seq_region_idx (density_type_id, seq_region_id, ` +
    `seq_region_start)) ENGINE=MyISAM`,
  `CREATE TABLE assembly_exception (assembly_exception_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, ` +
    `seq_region_id INT(10) UNSIGNED NOT NULL, exc_type ENUM('HAP', 'PAR', 'PATCH_FIX', 'PATCH_NOVEL') NOT NULL, ori TINYINT NOT NULL, ` +
    `  PRIMARY KEY (assembly_exception_id)) ENGINE=MyISAM`,
  `CREATE TABLE unmapped_reason (unmapped_reason_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, summary_description VARCHAR(255), ` +
    `full_description VARCHAR(255), PRIMARY KEY (unmapped_reason_id)) ENGINE=MyISAM`,
  `CREATE TABLE genome_statistics (genome_statistics_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, statistic VARCHAR(128) NOT NULL, ` +
    `value BIGINT(11) UNSIGNED DEFAULT '0' NOT NULL, species_id INT UNSIGNED DEFAULT 1, attrib_type_id INT(10) UNSIGNED DEFAULT NULL, ` +
    `  timestamp DATETIME DEFAULT NULL, PRIMARY KEY (genome_statistics_id), UNIQUE KEY stats_uniq (statistic, attrib_type_id, ` +
    `species_id)) ENGINE=MyISAM`,
  `CREATE TABLE object_xref (object_xref_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT, ensembl_id INT(10) UNSIGNED NOT NULL, ` +
    `ensembl_object_type ENUM('RawContig', 'Transcript', 'Gene', 'Translation', 'Operon', 'OperonTranscript', 'Marker', ` +
    `'RNAProduct') NOT NULL,   xref_id INT(10) UNSIGNED NOT NULL, linkage_annotation VARCHAR(255) DEFAULT NULL, ` +
    `analysis_id SMALLINT UNSIGNED, PRIMARY KEY (object_xref_id), UNIQUE KEY xref_idx (xref_id, ensembl_object_type, ensembl_id, ` +
    `analysis_id), KEY ensembl_idx (ensembl_object_type, ensembl_id)) ENGINE=MyISAM`,
  `CREATE TABLE ontology_term (term_id INT UNSIGNED NOT NULL AUTO_INCREMENT, accession VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, ` +
    `definition TEXT, is_root INT NOT NULL DEFAULT 0, is_obsolete INT NOT NULL DEFAULT 0, iri TEXT,   subsets TEXT, ` +
    `PRIMARY KEY (term_id), UNIQUE KEY accession_idx (accession), KEY name_idx (name(100)), FULLTEXT KEY name_fts (name), ` +
    `FULLTEXT KEY definition_fts (definition)) ENGINE=MyISAM`,
  `CREATE TABLE innodb_feature (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, a DECIMAL(12,4) NOT NULL DEFAULT 0.0000, ` +
    `s SET('one','two','three') DEFAULT 'one,two', m MEDIUMTEXT, b MEDIUMBLOB, c CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT ` +
    `NULL,   u VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE ` +
    `CURRENT_TIMESTAMP, d DATE, t TIME, y YEAR, vb VARBINARY(20), bn BINARY(16), bt BIT(3) DEFAULT b'010', tb TINYBLOB, lb LONGBLOB, ` +
    `tt TINYTEXT,   g POINT NOT NULL, PRIMARY KEY (id), KEY a_desc (a DESC), SPATIAL KEY g_idx (g)) ENGINE=InnoDB DEFAULT ` +
    `CHARSET=utf8mb3 COMMENT='features; the InnoDB kind' AUTO_INCREMENT=1000 ROW_FORMAT=DYNAMIC`,
  `CREATE TABLE mem (id INT NOT NULL, k VARCHAR(10), PRIMARY KEY (id), KEY k (k), KEY kb (k) USING BTREE) ENGINE=MEMORY`,
  `CREATE TABLE aria_t (id INT NOT NULL PRIMARY KEY) ENGINE=Aria TRANSACTIONAL=1 PAGE_CHECKSUM=1`,
];

test(
  'an Ensembl-like schema: every table comes out on staging exactly as the source defines it (SHOW CREATE TABLE), ' + 'with its rows',
  async () => {
    const db = 'ensembl_like_core_110_1';
    await source.query(`DROP DATABASE IF EXISTS ${db}`);
    await source.query(`CREATE DATABASE ${db}`);
    const conn = await mysql.createConnection({
      host: source.host,
      port: source.port,
      user: source.user,
      password: source.password,
      database: db,
    });
    try {
      for (const statement of ENSEMBL_LIKE) await conn.query(statement);
      await conn.query(
        "INSERT INTO innodb_feature (a, c, g, u, s, ts) VALUES (1.5, 'abc', POINT(1, 2), 'ünï', 'two,three', '2020-01-01 00:00:00'), " +
          "(-2.25, 'x''y', POINT(3, 4), NULL, '', '2021-06-30 12:00:00')",
      );
      await conn.query(
        "INSERT INTO xref (external_db_id, dbprimary_acc, display_label, info_type, description) VALUES (1, 'P1', 'it''s', 'DIRECT', " +
          "'tab\there'), (2, 'P2', 'back\\slash', 'NONE', NULL)",
      );
      await conn.query("INSERT INTO dna VALUES (1, REPEAT('ACGT', 5000))");
      await conn.query(
        "INSERT INTO meta (species_id, meta_key, meta_value) VALUES (1, 'schema_version', '110'), (NULL, 'schema_type', 'core')",
      );
      await conn.query("INSERT INTO seq_region_attrib VALUES (1, 2, REPEAT('v', 600))");
      await conn.query("INSERT INTO mem VALUES (1, 'k')");
    } finally {
      await conn.end();
    }
    const listed = (await source.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [
      db,
    ])) as Array<{ t: string }>;
    const tables = listed.map((r) => r.t);
    expect(tables.length).toBe(ENSEMBL_LIKE.length);
    const before = await sourceState(db, tables);
    const out = await copy(db, source.uri(db));
    expect(Object.keys(out.tables).sort()).toEqual(tables);
    expect(await stagingState(db, tables)).toEqual(before);
    await dropDatabase(mariadbUri(staging, db));
  },
);
