// The vpcflow command line: argument parsing, output formats and the HTTP client of the server.
export { buildProgram, main } from './main.ts';
