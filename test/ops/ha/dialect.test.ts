import { describe, expect, it } from 'vitest';
import { dialectOf, mariadbDialect, mysqlDialect } from '../../../src/ops/ha/dialect.js';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '4f22ab58-82db-22f2-af44-d91bb0530673';

describe('HA dialects (issue 12 item 9)', () => {
  it('picks the dialect from VERSION()', () => {
    expect(dialectOf('10.11.19-MariaDB-0+deb12u1').flavor).toBe('mariadb');
    expect(dialectOf('8.0.36').flavor).toBe('mysql');
  });

  it('MySQL 8: replica status, source change, GTID wait and fencing statements', () => {
    expect(mysqlDialect.replicaStatus).toBe('SHOW REPLICA STATUS');
    expect(mysqlDialect.stopReplica).toBe('STOP REPLICA');
    expect(mysqlDialect.startReplica).toBe('START REPLICA');
    expect(mysqlDialect.resetReplicaAll).toBe('RESET REPLICA ALL');
    expect(mysqlDialect.gtidQuery).toContain('@@global.gtid_executed');
    expect(mysqlDialect.positionQuery).toBe('SELECT @@global.gtid_executed AS pos');
    expect(mysqlDialect.prepareDemotion).toEqual([]);
    const ch = mysqlDialect.changeSource('db2', 3307, 'repl', 's3cret');
    expect(ch.sql).toMatch(/^CHANGE REPLICATION SOURCE TO SOURCE_HOST = \?, SOURCE_PORT = \?, SOURCE_USER = \?, SOURCE_PASSWORD = \?, SOURCE_AUTO_POSITION = 1/);
    expect(ch.sql).not.toContain('s3cret');
    expect(ch.params).toEqual(['db2', 3307, 'repl', 's3cret']);
    expect(mysqlDialect.waitForGtid(`${A}:1-10`, 5)).toEqual({ sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w', params: [`${A}:1-10`, 5] });
    expect(mysqlDialect.setReadOnly(true)).toEqual(['SET GLOBAL super_read_only = 1']);
    expect(mysqlDialect.setReadOnly(false)).toEqual(['SET GLOBAL super_read_only = 0', 'SET GLOBAL read_only = 0']);
    expect(mysqlDialect.clientConnections).toContain("'Binlog Dump GTID'");
    expect(
      mysqlDialect.parseReplicaStatus({
        Source_Host: 'db1',
        Source_Port: 3306,
        Replica_IO_Running: 'Connecting',
        Replica_SQL_Running: 'Yes',
        Seconds_Behind_Source: null,
        Last_IO_Error: 'x',
        Last_SQL_Error: '',
      }),
    ).toEqual({ sourceHost: 'db1', sourcePort: 3306, ioRunning: false, sqlRunning: true, ioState: 'Connecting', lagSeconds: null, lastIoError: 'x', lastSqlError: '' });
    expect(mysqlDialect.parseSemiSync([{ Variable_name: 'Rpl_semi_sync_source_status', Value: 'OFF' }])).toEqual({ primary: false });
  });

  it('MySQL 8: GTID distance and errant transactions over GTID sets', () => {
    const primary = `${A}:1-100, ${B}:1-5`;
    expect(mysqlDialect.gtidBehind(primary, `${A}:1-90,${B}:1-5`)).toBe(10);
    expect(mysqlDialect.gtidBehind(primary, `${A}:1-50:52-100`)).toBe(6);
    expect(mysqlDialect.gtidBehind(primary, primary)).toBe(0);
    const replicaUuid = '5a33bc69-93ec-33a3-b055-e92cc1641784';
    expect(mysqlDialect.errantGtids(primary, `${A}:1-90,${replicaUuid}:1-2`)).toBe(`${replicaUuid}:1-2`);
    expect(mysqlDialect.errantGtids(primary, `${A}:1-101`)).toBe(`${A}:101`);
    expect(mysqlDialect.errantGtids(primary, `${A}:1-90`)).toBe('');
  });

  it('MariaDB: statements and GTID lists per domain', () => {
    expect(mariadbDialect.replicaStatus).toBe('SHOW SLAVE STATUS');
    expect(mariadbDialect.resetReplicaAll).toBe('RESET SLAVE ALL');
    expect(mariadbDialect.changeSource('db2', 3307, 'repl', 'pw').sql).toContain('MASTER_USE_GTID = slave_pos');
    expect(mariadbDialect.waitForGtid('0-1-5', 3)).toEqual({ sql: 'SELECT MASTER_GTID_WAIT(?, ?) AS w', params: ['0-1-5', 3] });
    expect(mariadbDialect.prepareDemotion).toEqual(['SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos']);
    expect(mariadbDialect.gtidBehind('0-101-120,1-101-7', '0-101-100,1-101-7')).toBe(20);
    expect(mariadbDialect.gtidBehind('0-101-120,1-101-7', '0-101-100')).toBe(27);
    // a replica's own write (server 103) the primary never had; a sequence beyond the primary's
    expect(mariadbDialect.errantGtids('0-101-120', '0-101-100,0-103-121')).toBe('0-103-121');
    expect(mariadbDialect.errantGtids('0-101-120,0-102-50', '0-102-50,0-101-110')).toBe('');
    expect(mariadbDialect.parseSemiSync([{ Variable_name: 'Rpl_semi_sync_master_status', Value: 'ON' }])).toEqual({ primary: true });
  });
});
