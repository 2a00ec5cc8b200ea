/** The benchmarks' generated MariaDB source database. */
import mysql from 'mysql2/promise';
import type { MariaDb } from '../../tests/helpers/mariadb';

/**
 * Makes `name` on `server`: about `targetBytes` (data + indexes) in four InnoDB tables, like a core database's largest. Returns its size.
 */
export async function generateCoreLike(server: MariaDb, NAME: string, targetBytes: number): Promise<number> {
  const conn = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    multipleStatements: true,
  });
  await conn.query(`CREATE DATABASE ${NAME}`);
  await conn.changeUser({ database: NAME });
  // Four tables of different sizes, like a real core database: a few large, rows of mixed types.
  const shares = { dna_align_feature: 0.45, protein_feature: 0.3, exon: 0.15, gene: 0.1 };
  for (const table of Object.keys(shares)) {
    await conn.query(
      `CREATE TABLE ${table} (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, seq_region_id INT NOT NULL, start INT NOT NULL, ` +
        `end INT NOT NULL,
      hit_name VARCHAR(64) NOT NULL, score DOUBLE, cigar TEXT, KEY (seq_region_id, start)) ENGINE=InnoDB`,
    );
    await conn.query(`INSERT INTO ${table} (seq_region_id, start, end, hit_name, score, cigar) VALUES (1, 1, 2, 'seed', 1, 'M')`);
  }
  const size = async () =>
    Number(
      (
        (
          await conn.query(`SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${NAME}'`)
        )[0] as Array<{ b: number }>
      )[0].b,
    );
  for (const [table, share] of Object.entries(shares)) {
    for (;;) {
      await conn.query('ANALYZE TABLE ' + table);
      const [rows] = await conn.query(
        `SELECT DATA_LENGTH + INDEX_LENGTH AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${NAME}' AND TABLE_NAME = '${table}'`,
      );
      if (Number((rows as Array<{ b: number }>)[0].b) >= targetBytes * share) break;
      await conn.query(
        `INSERT INTO ${table} (seq_region_id, start, end, hit_name, score, cigar)
        SELECT FLOOR(RAND() * 5000), FLOOR(RAND() * 1e8), FLOOR(RAND() * 1e8), MD5(RAND()), RAND() * 1000, ` +
          `REPEAT(CONCAT(FLOOR(RAND()*90)+10, 'M'), 20) FROM ${table} LIMIT 2000000`,
      );
    }
  }
  const bytes = await size();
  await conn.end();
  return bytes;
}
