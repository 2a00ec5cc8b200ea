"""Drives Handover and its job services with Ensembl's own clients (ensembl-prodinf-core), unchanged.

Usage: python ensembl_clients.py <command> '<json arguments>'
Prints the command's result as one JSON line on stdout; the clients' logging goes to stderr.
"""
import json
import logging
import sys

from ensembl.production.core.clients.handover import HandoverClient
from ensembl.production.core.rest import RestClient


def run(command, args):
    if command.startswith('job-'):
        client = RestClient(args['service'])
        if command == 'job-submit':
            return client.submit_job(args['payload'])
        if command == 'job-retrieve':
            return client.retrieve_job(args['job_id'])
        if command == 'job-failures':
            return client.retrieve_job_failure(args['job_id'])
        if command == 'job-kill':
            return client.delete_job(args['job_id'], kill=True)
        if command == 'job-submit-kill':
            # Both in one process, so the kill reaches a job that is still running.
            job_id = client.submit_job(args['payload'])
            return {'job_id': job_id, 'status': client.retrieve_job(job_id)['status'], 'killed': client.delete_job(job_id, kill=True)}
        if command == 'job-list':
            return client.list_jobs()
    client = HandoverClient(args['api'])
    if command == 'submit':
        return client.submit_handover(args['spec'])
    if command == 'list':
        return client.list_handovers()
    if command == 'retrieve':
        return client.retrieve_handover(args['token'])
    if command == 'details':
        for handover in client.retrieve_handover(args['token']):
            client.print_handover_detail(handover)
        return None
    if command == 'summary':
        client.handover_summary_email(client.list_handovers(), args['contact'])
        return None
    raise SystemExit('unknown command %s' % command)


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s')
    print(json.dumps(run(sys.argv[1], json.loads(sys.argv[2]))))
