#Requires -Version 5.1
<#
.SYNOPSIS
    Installs the AppStream Image Factory builder agent and the scheduled task that starts it at boot.

.DESCRIPTION
    Run as an administrator on the Windows Server 2022 instance that becomes the source AMI
    (the EC2 Image Builder component agent/builder-agent-component.yaml does this). It:
      * checks the agent script against its SHA-256 pin and copies both scripts to the install directory;
      * makes sure AWS Tools for PowerShell (AWS.Tools.S3, or AWSPowerShell) is present;
      * creates the data directory (configuration, logs, work files), readable and writable by
        SYSTEM and Administrators only, and writes the configuration;
      * registers the Application event log source ImageFactoryBuilderAgent;
      * registers the scheduled task \ImageFactory\BuilderAgent: at startup, as SYSTEM, no time limit.
    -Validate checks an installation (the component's validate and test phases);
    -Uninstall removes the task, the files and the event source.

.EXAMPLE
    .\Install-BuilderAgent.ps1 -JobsBucket my-jobs-bucket -Region eu-west-1 -ExpectedAgentHash <SHA-256 of BuilderAgent.ps1>
#>
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
    [Parameter(Mandatory, ParameterSetName = 'Install')] [ValidatePattern('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')] [string] $JobsBucket,
    [Parameter(Mandatory, ParameterSetName = 'Install')] [ValidatePattern('^[a-z]{2}(-[a-z]+)+-\d+$')] [string] $Region,
    [Parameter(Mandatory, ParameterSetName = 'Install')] [ValidatePattern('^[0-9a-fA-F]{64}$')] [string] $ExpectedAgentHash,
    [Parameter(ParameterSetName = 'Install')] [string] $SourceDirectory = $PSScriptRoot,
    [Parameter(ParameterSetName = 'Install')] [ValidateRange(5, 3600)] [int] $PollSeconds = 30,
    [Parameter(Mandatory, ParameterSetName = 'Validate')] [switch] $Validate,
    [Parameter(Mandatory, ParameterSetName = 'Uninstall')] [switch] $Uninstall,
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'ImageFactory\BuilderAgent'),
    [string] $DataDirectory = (Join-Path $env:ProgramData 'ImageFactory\BuilderAgent')
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$script:TaskPath = '\ImageFactory\'
$script:TaskName = 'BuilderAgent'
$script:EventSource = 'ImageFactoryBuilderAgent'
$script:AgentFiles = @('BuilderAgent.ps1', 'Install-BuilderAgent.ps1')

function Assert-Administrator {
    $principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
        throw 'run this as an administrator'
    }
}

function Install-AwsTools {
    # Windows AMIs from AWS carry AWSPowerShell; a customer-built AMI may need AWS.Tools.S3.
    if (Get-Module -ListAvailable -Name 'AWS.Tools.S3', 'AWSPowerShell') { return }
    Write-Output 'installing AWS.Tools.S3 from the PowerShell Gallery'
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    $null = Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Force
    Install-Module -Name 'AWS.Tools.S3' -Scope AllUsers -Force -AllowClobber
}

function Protect-AgentDirectory {
    # Only SYSTEM and Administrators may read or change the agent's files: a verified script
    # must not be replaceable between its hash check and its run.
    param([Parameter(Mandatory)] [string] $Path)
    $null = New-Item -ItemType Directory -Path $Path -Force
    $null = & "$env:SystemRoot\System32\icacls.exe" $Path /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F'
    if ($LASTEXITCODE -ne 0) { throw "icacls could not restrict $Path (exit $LASTEXITCODE)" }
}

function Copy-AgentFiles {
    param([Parameter(Mandatory)] [string] $From, [Parameter(Mandatory)] [string] $To, [Parameter(Mandatory)] [string] $ExpectedHash)
    $agent = Join-Path $From 'BuilderAgent.ps1'
    $actual = (Get-FileHash -LiteralPath $agent -Algorithm SHA256).Hash.ToLowerInvariant()
    if ($actual -cne $ExpectedHash.ToLowerInvariant()) { throw "BuilderAgent.ps1 has SHA-256 $actual, not the pinned $ExpectedHash" }
    Protect-AgentDirectory -Path $To
    foreach ($name in $script:AgentFiles) {
        Copy-Item -LiteralPath (Join-Path $From $name) -Destination (Join-Path $To $name) -Force
    }
}

function Write-AgentConfig {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [hashtable] $Values)
    $json = ConvertTo-Json -InputObject $Values
    [System.IO.File]::WriteAllText($Path, $json, (New-Object System.Text.UTF8Encoding $false))
}

function Register-AgentEventSource {
    if (-not [System.Diagnostics.EventLog]::SourceExists($script:EventSource)) {
        New-EventLog -LogName Application -Source $script:EventSource
    }
}

function Register-AgentTask {
    param([Parameter(Mandatory)] [string] $AgentPath, [Parameter(Mandatory)] [string] $ConfigPath)
    $arguments = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -ConfigPath "{1}"' -f $AgentPath, $ConfigPath
    $action = New-ScheduledTaskAction -Execute "$env:SystemRoot\System32\WindowsPowerShell\v1.0\powershell.exe" -Argument $arguments
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 `
        -RestartInterval (New-TimeSpan -Minutes 1) -MultipleInstances IgnoreNew -StartWhenAvailable
    $null = Register-ScheduledTask -TaskPath $script:TaskPath -TaskName $script:TaskName -Action $action -Trigger $trigger `
        -Principal $principal -Settings $settings -Description 'AppStream Image Factory builder agent' -Force
}

function Test-AgentInstallation {
    # The problems with an installation; none means the agent will start at the next boot.
    param([Parameter(Mandatory)] [string] $AgentPath, [Parameter(Mandatory)] [string] $ConfigPath)
    $problems = New-Object System.Collections.Generic.List[string]
    if (-not (Test-Path -LiteralPath $AgentPath)) { $problems.Add("missing $AgentPath") }
    else {
        $tokens = $null
        $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile($AgentPath, [ref] $tokens, [ref] $errors)
        foreach ($parseError in @($errors)) { if ($null -ne $parseError) { $problems.Add("$AgentPath does not parse: $parseError") } }
    }
    if (-not (Test-Path -LiteralPath $ConfigPath)) { $problems.Add("missing $ConfigPath") }
    else {
        $config = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($ConfigPath))
        foreach ($name in @('jobs_bucket', 'region')) {
            if ($null -eq $config.PSObject.Properties[$name] -or -not $config.$name) { $problems.Add("$ConfigPath has no $name") }
        }
    }
    $task = Get-ScheduledTask -TaskPath $script:TaskPath -TaskName $script:TaskName -ErrorAction SilentlyContinue
    if ($null -eq $task) { $problems.Add("no scheduled task $($script:TaskPath)$($script:TaskName)") }
    else {
        if ($task.Principal.UserId -notmatch 'SYSTEM') { $problems.Add("the task runs as $($task.Principal.UserId), not SYSTEM") }
        if (-not ($task.Triggers | Where-Object { $_.CimClass.CimClassName -eq 'MSFT_TaskBootTrigger' })) { $problems.Add('the task has no boot trigger') }
        if ($task.State -eq 'Disabled') { $problems.Add('the task is disabled') }
    }
    if (-not [System.Diagnostics.EventLog]::SourceExists($script:EventSource)) { $problems.Add("no event log source $($script:EventSource)") }
    if (-not (Get-Module -ListAvailable -Name 'AWS.Tools.S3', 'AWSPowerShell')) { $problems.Add('AWS Tools for PowerShell is not installed') }
    return , $problems.ToArray()
}

function Uninstall-BuilderAgent {
    param([Parameter(Mandatory)] [string] $InstallPath, [Parameter(Mandatory)] [string] $DataPath)
    Unregister-ScheduledTask -TaskPath $script:TaskPath -TaskName $script:TaskName -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $InstallPath -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $DataPath -Recurse -Force -ErrorAction SilentlyContinue
    if ([System.Diagnostics.EventLog]::SourceExists($script:EventSource)) { Remove-EventLog -Source $script:EventSource }
}

$agentPath = Join-Path $InstallDirectory 'BuilderAgent.ps1'
$configPath = Join-Path $DataDirectory 'config.json'
Assert-Administrator
switch ($PSCmdlet.ParameterSetName) {
    'Validate' {
        $problems = Test-AgentInstallation -AgentPath $agentPath -ConfigPath $configPath
        if ($problems.Count -gt 0) { throw ('the builder agent is not installed correctly: ' + ($problems -join '; ')) }
        Write-Output "builder agent installed: $agentPath, task $($script:TaskPath)$($script:TaskName)"
    }
    'Uninstall' {
        Uninstall-BuilderAgent -InstallPath $InstallDirectory -DataPath $DataDirectory
        Write-Output 'builder agent removed'
    }
    default {
        Install-AwsTools
        Copy-AgentFiles -From $SourceDirectory -To $InstallDirectory -ExpectedHash $ExpectedAgentHash
        Protect-AgentDirectory -Path $DataDirectory
        Write-AgentConfig -Path $configPath -Values @{
            jobs_bucket = $JobsBucket
            region = $Region
            profile_name = 'appstream_machine_role'
            poll_seconds = $PollSeconds
            data_directory = $DataDirectory
        }
        Register-AgentEventSource
        Register-AgentTask -AgentPath $agentPath -ConfigPath $configPath
        $problems = Test-AgentInstallation -AgentPath $agentPath -ConfigPath $configPath
        if ($problems.Count -gt 0) { throw ('installed, but: ' + ($problems -join '; ')) }
        Write-Output "builder agent installed: $agentPath, task $($script:TaskPath)$($script:TaskName), jobs bucket $JobsBucket ($Region)"
    }
}
