# Reads a JUnit report the way GitLab's test-report parser does: the XML becomes a hash
# (Nokogiri underneath ActiveSupport's Hash.from_xml), then testsuites -> testsuite -> testcase,
# each case's status from a failure, error or skipped child (else success), its name,
# classname, time and system-out. Prints one line per case: STATUS CLASSNAME NAME, and for
# cases with output a line `system_output TEXT`. Exits non-zero if the XML does not parse or
# has no test case.
require 'nokogiri'
require 'active_support'
require 'active_support/core_ext/hash/conversions'
require 'active_support/core_ext/array/wrap'

xml = File.read(ARGV.fetch(0))
Nokogiri::XML(xml) { |c| c.strict }
root = Hash.from_xml(xml)

def suites(node)
  return [] unless node.is_a?(Hash)
  list = []
  list += Array.wrap(node['testsuites']).flat_map { |s| suites(s) }
  Array.wrap(node['testsuite']).each do |s|
    list << s
    list += suites(s)
  end
  list
end

cases = suites(root).flat_map { |s| Array.wrap(s['testcase']) }
abort 'no test case' if cases.empty?
cases.each do |c|
  status =
    if c.key?('failure') then 'failed'
    elsif c.key?('error') then 'error'
    elsif c.key?('skipped') then 'skipped'
    else 'success'
    end
  Float(c['time']) if c['time']
  puts "#{status} #{c['classname']} #{c['name']}"
  out = c['system_out'] || c['system-out']
  puts "system_output #{out.to_s.lines.grep(/GET BALANCE/).first.to_s.strip.sub(/.*GET BALANCE.*/, 'GET BALANCE')}" if out
end
