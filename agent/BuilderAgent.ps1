#Requires -Version 5.1
<#
.SYNOPSIS
    AppStream Image Factory builder agent: runs this image builder's job, then Image Assistant create-image.

.DESCRIPTION
    Started at boot by the scheduled task that Install-BuilderAgent.ps1 registers. On an
    AppStream image builder it polls the jobs bucket for jobs/<builder-name>/job.json with
    the builder's own credentials (the appstream_machine_role profile), downloads every
    pinned script and checks its SHA-256 before any of them runs, runs them in order, keeps
    jobs/<builder-name>/status.json up to date, writes jobs/<builder-name>/result.json and,
    when all went well, asks Image Assistant to create the image. It runs a job at most
    once and never runs a script whose content does not match its pin. On anything that
    is not an image builder (a fleet instance, a plain EC2 instance) it exits.

    Logs go to the Application event log (source ImageFactoryBuilderAgent) and to
    <data directory>\logs\agent.log. docs/agent.md describes all of it.

.PARAMETER ConfigPath
    The agent's configuration, written by Install-BuilderAgent.ps1.

.PARAMETER Once
    Poll once and return: for a person looking into a stuck job on the builder.

.EXAMPLE
    . .\BuilderAgent.ps1    # dot-sourced: defines the functions, runs nothing
#>
[CmdletBinding()]
param(
    [string] $ConfigPath = (Join-Path $env:ProgramData 'ImageFactory\BuilderAgent\config.json'),
    [switch] $Once
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$script:AgentVersion = '1.0.0'
$script:EventSource = 'ImageFactoryBuilderAgent'
$script:DefaultImageAssistant = 'C:\Program Files\Amazon\Photon\ConsoleImageBuilder\image-assistant.exe'
$script:Settings = $null
$script:LogFile = $null

#region generated-document-shapes
# Generated from agent_contract/documents.py by `python agent/generate.py`: do not edit by hand.
$script:SchemaVersion = 1
$script:JobKeyFormat = 'jobs/{0}/job.json'
$script:ResultKeyFormat = 'jobs/{0}/result.json'
$script:StatusKeyFormat = 'jobs/{0}/status.json'
$script:JobShape = [ordered]@{
    'type' = 'object'
    'required' = @('run_id', 'builder_name', 'image')
    'properties' = [ordered]@{
        'schema_version' = [ordered]@{
            'type' = 'integer'
            'const' = 1
            'default' = 1
        }
        'run_id' = [ordered]@{
            'type' = 'string'
            'pattern' = '^[A-Za-z0-9._:-]+$'
            'minLength' = 1
            'maxLength' = 128
        }
        'builder_name' = [ordered]@{
            'type' = 'string'
            'pattern' = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$'
        }
        'image' = [ordered]@{
            'type' = 'object'
            'required' = @('name')
            'properties' = [ordered]@{
                'name' = [ordered]@{
                    'type' = 'string'
                    'pattern' = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$'
                }
                'display_name' = [ordered]@{
                    'type' = 'string'
                    'maxLength' = 100
                    'nullable' = $true
                    'default' = $null
                }
                'description' = [ordered]@{
                    'type' = 'string'
                    'maxLength' = 256
                    'nullable' = $true
                    'default' = $null
                }
                'tags' = [ordered]@{
                    'type' = 'object'
                    'maxProperties' = 50
                    'values' = [ordered]@{
                        'type' = 'string'
                    }
                    'default' = [ordered]@{}
                }
            }
        }
        'scripts' = [ordered]@{
            'type' = 'array'
            'items' = [ordered]@{
                'type' = 'object'
                'required' = @('s3_uri', 'sha256')
                'properties' = [ordered]@{
                    's3_uri' = [ordered]@{
                        'type' = 'string'
                        'pattern' = '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$'
                    }
                    'sha256' = [ordered]@{
                        'type' = 'string'
                        'pattern' = '^[0-9a-f]{64}$'
                    }
                }
            }
            'default' = @()
        }
        'image_assistant' = [ordered]@{
            'type' = 'object'
            'required' = @()
            'properties' = [ordered]@{
                'use_latest_agent_version' = [ordered]@{
                    'type' = 'boolean'
                    'default' = $false
                }
                'enable_dynamic_app_catalog' = [ordered]@{
                    'type' = 'boolean'
                    'default' = $false
                }
            }
            'default' = [ordered]@{}
        }
        'timeout_minutes' = [ordered]@{
            'type' = 'integer'
            'minimum' = 1
            'maximum' = 1440
            'default' = 60
        }
        'issued_at' = [ordered]@{
            'type' = 'string'
            'format' = 'date-time'
            'nullable' = $true
            'default' = $null
        }
    }
}
$script:ResultShape = [ordered]@{
    'type' = 'object'
    'required' = @('run_id', 'builder_name', 'status', 'started_at', 'finished_at')
    'properties' = [ordered]@{
        'schema_version' = [ordered]@{
            'type' = 'integer'
            'const' = 1
            'default' = 1
        }
        'run_id' = [ordered]@{
            'type' = 'string'
        }
        'builder_name' = [ordered]@{
            'type' = 'string'
        }
        'status' = [ordered]@{
            'type' = 'string'
            'enum' = @('SUCCEEDED', 'FAILED')
        }
        'image_name' = [ordered]@{
            'type' = 'string'
            'nullable' = $true
            'default' = $null
        }
        'scripts' = [ordered]@{
            'type' = 'array'
            'items' = [ordered]@{
                'type' = 'object'
                'required' = @('s3_uri', 'sha256', 'exit_code', 'started_at', 'finished_at')
                'properties' = [ordered]@{
                    's3_uri' = [ordered]@{
                        'type' = 'string'
                    }
                    'sha256' = [ordered]@{
                        'type' = 'string'
                    }
                    'exit_code' = [ordered]@{
                        'type' = 'integer'
                    }
                    'started_at' = [ordered]@{
                        'type' = 'string'
                        'format' = 'date-time'
                    }
                    'finished_at' = [ordered]@{
                        'type' = 'string'
                        'format' = 'date-time'
                    }
                    'output_tail' = [ordered]@{
                        'type' = 'string'
                        'default' = ''
                    }
                }
            }
            'default' = @()
        }
        'create_image' = [ordered]@{
            'type' = 'object'
            'required' = @('exit_code')
            'properties' = [ordered]@{
                'exit_code' = [ordered]@{
                    'type' = 'integer'
                }
                'message' = [ordered]@{
                    'type' = 'string'
                    'default' = ''
                }
            }
            'nullable' = $true
            'default' = $null
        }
        'error' = [ordered]@{
            'type' = 'string'
            'nullable' = $true
            'default' = $null
        }
        'started_at' = [ordered]@{
            'type' = 'string'
            'format' = 'date-time'
        }
        'finished_at' = [ordered]@{
            'type' = 'string'
            'format' = 'date-time'
        }
    }
}
$script:StatusShape = [ordered]@{
    'type' = 'object'
    'required' = @('run_id', 'builder_name', 'agent_version', 'phase', 'started_at', 'updated_at')
    'properties' = [ordered]@{
        'schema_version' = [ordered]@{
            'type' = 'integer'
            'const' = 1
            'default' = 1
        }
        'run_id' = [ordered]@{
            'type' = 'string'
        }
        'builder_name' = [ordered]@{
            'type' = 'string'
        }
        'agent_version' = [ordered]@{
            'type' = 'string'
        }
        'phase' = [ordered]@{
            'type' = 'string'
            'enum' = @('RECEIVED', 'VERIFYING_SCRIPTS', 'RUNNING_SCRIPT', 'CHECKING_IMAGE', 'CREATING_IMAGE', 'SUCCEEDED', 'FAILED')
        }
        'script_index' = [ordered]@{
            'type' = 'integer'
            'minimum' = 1
            'nullable' = $true
            'default' = $null
        }
        'script_count' = [ordered]@{
            'type' = 'integer'
            'minimum' = 0
            'default' = 0
        }
        'message' = [ordered]@{
            'type' = 'string'
            'default' = ''
        }
        'output_tail' = [ordered]@{
            'type' = 'string'
            'default' = ''
        }
        'started_at' = [ordered]@{
            'type' = 'string'
            'format' = 'date-time'
        }
        'updated_at' = [ordered]@{
            'type' = 'string'
            'format' = 'date-time'
        }
    }
}
#endregion generated-document-shapes

# ---------------------------------------------------------------------------------------
# Logging, time, configuration
# ---------------------------------------------------------------------------------------

function Get-UtcTimestamp {
    param([datetime] $Time = [datetime]::UtcNow)
    return $Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [Globalization.CultureInfo]::InvariantCulture)
}

function Write-AgentLog {
    param(
        [Parameter(Mandatory)] [string] $Message,
        [ValidateSet('Information', 'Warning', 'Error')] [string] $Level = 'Information',
        [int] $EventId = 1000
    )
    $line = '{0} {1} {2}' -f (Get-UtcTimestamp), $Level.ToUpperInvariant(), $Message
    if ($script:LogFile) {
        try { Add-Content -LiteralPath $script:LogFile -Value $line -Encoding UTF8 } catch { Write-Verbose "log file: $_" }
    }
    $text = if ($Message.Length -gt 30000) { $Message.Substring(0, 30000) } else { $Message }
    try {
        Write-EventLog -LogName Application -Source $script:EventSource -EntryType $Level -EventId $EventId -Message $text
    } catch { Write-Verbose "event log: $_" }
    Write-Verbose $line
}

function Get-OptionalValue {
    param($Object, [Parameter(Mandatory)] [string] $Name, $Default)
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value -or "$($property.Value)" -eq '') { return $Default }
    return $property.Value
}

function Read-AgentConfig {
    param([Parameter(Mandatory)] [string] $Path)
    $config = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($Path))
    $dataDirectory = [string] (Get-OptionalValue $config 'data_directory' (Split-Path -Parent $Path))
    $settings = @{
        JobsBucket = [string] (Get-OptionalValue $config 'jobs_bucket' '')
        Region = [string] (Get-OptionalValue $config 'region' '')
        ProfileName = [string] (Get-OptionalValue $config 'profile_name' 'appstream_machine_role')
        PollSeconds = [int] (Get-OptionalValue $config 'poll_seconds' 30)
        StatusSeconds = [int] (Get-OptionalValue $config 'status_seconds' 60)
        IdentityWaitMinutes = [int] (Get-OptionalValue $config 'identity_wait_minutes' 20)
        OutputTailCharacters = [int] (Get-OptionalValue $config 'output_tail_characters' 4000)
        ImageAssistantPath = [string] (Get-OptionalValue $config 'image_assistant_path' $script:DefaultImageAssistant)
        DataDirectory = $dataDirectory
        WorkDirectory = Join-Path $dataDirectory 'work'
        StateFile = Join-Path $dataDirectory 'handled-runs.json'
    }
    if (-not $settings.JobsBucket -or -not $settings.Region) {
        throw "configuration $Path must name jobs_bucket and region"
    }
    return $settings
}

# ---------------------------------------------------------------------------------------
# Which image builder this is
# ---------------------------------------------------------------------------------------

function Get-BuilderIdentity {
    # AppStream sets these machine variables on its instances; a task started at boot can
    # start before they exist, so they are read from the machine environment every time.
    $name = [Environment]::GetEnvironmentVariable('AppStream_Resource_Name', 'Machine')
    $type = [Environment]::GetEnvironmentVariable('AppStream_Resource_Type', 'Machine')
    if (-not $name -or -not $type) { return $null }
    return @{ Name = $name; Type = $type; IsImageBuilder = ($type -eq 'image-builder' -or $type -eq 'imagebuilder') }
}

function Wait-BuilderIdentity {
    param([int] $Minutes)
    $deadline = [datetime]::UtcNow.AddMinutes($Minutes)
    while ($true) {
        $identity = Get-BuilderIdentity
        if ($null -ne $identity) { return $identity }
        if ([datetime]::UtcNow -ge $deadline) { return $null }
        Start-Sleep -Seconds 10
    }
}

# ---------------------------------------------------------------------------------------
# S3, always with the builder's own credentials
# ---------------------------------------------------------------------------------------

function Import-AwsTools {
    if (Get-Module -ListAvailable -Name 'AWS.Tools.S3') { Import-Module 'AWS.Tools.S3' }
    else { Import-Module 'AWSPowerShell' }
}

function Get-S3ErrorKind {
    param([Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord)
    $exception = $ErrorRecord.Exception
    while ($null -ne $exception) {
        $code = $exception.PSObject.Properties['ErrorCode']
        $status = $exception.PSObject.Properties['StatusCode']
        $codeText = if ($null -ne $code) { [string] $code.Value } else { '' }
        $statusText = if ($null -ne $status) { [string] $status.Value } else { '' }
        if ($codeText -eq 'NoSuchKey' -or $statusText -eq 'NotFound') { return 'Missing' }
        if ($codeText -eq 'AccessDenied' -or $statusText -eq 'Forbidden') { return 'Denied' }
        $exception = $exception.InnerException
    }
    return 'Other'
}

function Read-S3Text {
    # The object's text, or $null when it does not exist (or, without s3:ListBucket, is denied).
    param([Parameter(Mandatory)] [string] $BucketName, [Parameter(Mandatory)] [string] $Key)
    $file = Join-Path $script:Settings.WorkDirectory ('download-{0}.json' -f [guid]::NewGuid().ToString('N'))
    try {
        $null = Read-S3Object -BucketName $BucketName -Key $Key -File $file `
            -ProfileName $script:Settings.ProfileName -Region $script:Settings.Region
        return [System.IO.File]::ReadAllText($file, [System.Text.Encoding]::UTF8)
    } catch {
        $kind = Get-S3ErrorKind -ErrorRecord $_
        if ($kind -eq 'Missing') { return $null }
        if ($kind -eq 'Denied') {
            Write-AgentLog -Level Warning -EventId 1101 -Message ("s3://$BucketName/$Key is denied: no job yet, " +
                'or the builder role lacks the builder agent policy (docs/agent.md)')
            return $null
        }
        throw
    } finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    }
}

function Write-S3Text {
    param([Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $Text, [int] $Attempts = 5)
    $file = Join-Path $script:Settings.WorkDirectory ('upload-{0}.json' -f [guid]::NewGuid().ToString('N'))
    [System.IO.File]::WriteAllText($file, $Text, (New-Object System.Text.UTF8Encoding $false))
    try {
        for ($attempt = 1; $attempt -le $Attempts; $attempt++) {
            try {
                $null = Write-S3Object -BucketName $script:Settings.JobsBucket -Key $Key -File $file -ContentType 'application/json' `
                    -ProfileName $script:Settings.ProfileName -Region $script:Settings.Region
                return
            } catch {
                if ($attempt -eq $Attempts) { throw }
                Write-AgentLog -Level Warning -EventId 1102 -Message "writing s3://$($script:Settings.JobsBucket)/$Key failed (attempt $attempt): $_"
                Start-Sleep -Seconds (10 * $attempt)
            }
        }
    } finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    }
}

# ---------------------------------------------------------------------------------------
# Documents: validated against the generated shapes, written with the schema's fields only
# ---------------------------------------------------------------------------------------

function Test-DocumentShape {
    # The ways $Value breaks $Shape (a generated shape): unknown or missing fields, wrong
    # types, patterns, limits. JSON names are compared case-sensitively, as pydantic does.
    param($Value, [Parameter(Mandatory)] [System.Collections.IDictionary] $Shape, [string] $Path = 'document')
    $problems = New-Object System.Collections.Generic.List[string]
    if ($null -eq $Value) {
        if (-not ($Shape.Contains('nullable') -and $Shape['nullable'])) { $problems.Add("${Path}: must not be null") }
        return , $problems.ToArray()
    }
    switch ($Shape['type']) {
        'object' {
            if ($Value -isnot [System.Management.Automation.PSCustomObject]) { $problems.Add("${Path}: must be an object"); break }
            $names = @($Value.PSObject.Properties | ForEach-Object { $_.Name })
            if ($Shape.Contains('maxProperties') -and $names.Count -gt $Shape['maxProperties']) {
                $problems.Add("${Path}: at most $($Shape['maxProperties']) entries")
            }
            if ($Shape.Contains('properties')) {
                $known = @($Shape['properties'].Keys)
                foreach ($name in $names) { if ($known -cnotcontains $name) { $problems.Add("${Path}: unknown field '$name'") } }
                foreach ($name in $Shape['required']) { if ($names -cnotcontains $name) { $problems.Add("${Path}: missing field '$name'") } }
                foreach ($name in $known) {
                    if ($names -ccontains $name) {
                        $inner = Test-DocumentShape -Value $Value.PSObject.Properties[$name].Value -Shape $Shape['properties'][$name] -Path "$Path.$name"
                        foreach ($problem in $inner) { $problems.Add($problem) }
                    }
                }
            }
            if ($Shape.Contains('values')) {
                foreach ($name in $names) {
                    $inner = Test-DocumentShape -Value $Value.PSObject.Properties[$name].Value -Shape $Shape['values'] -Path "$Path['$name']"
                    foreach ($problem in $inner) { $problems.Add($problem) }
                }
            }
        }
        'array' {
            if ($Value -isnot [array]) { $problems.Add("${Path}: must be a list"); break }
            for ($index = 0; $index -lt $Value.Count; $index++) {
                $inner = Test-DocumentShape -Value $Value[$index] -Shape $Shape['items'] -Path "$Path[$index]"
                foreach ($problem in $inner) { $problems.Add($problem) }
            }
        }
        'string' {
            # PowerShell 7's ConvertFrom-Json turns date-time strings into [datetime]; 5.1 keeps strings.
            if ($Shape.Contains('format') -and $Value -is [datetime]) { break }
            if ($Value -isnot [string]) { $problems.Add("${Path}: must be a string"); break }
            if ($Shape.Contains('minLength') -and $Value.Length -lt $Shape['minLength']) { $problems.Add("${Path}: shorter than $($Shape['minLength'])") }
            if ($Shape.Contains('maxLength') -and $Value.Length -gt $Shape['maxLength']) { $problems.Add("${Path}: longer than $($Shape['maxLength'])") }
            if ($Shape.Contains('pattern') -and $Value -cnotmatch $Shape['pattern']) { $problems.Add("${Path}: does not match $($Shape['pattern'])") }
            if ($Shape.Contains('enum') -and @($Shape['enum']) -cnotcontains $Value) { $problems.Add("${Path}: not one of $($Shape['enum'] -join ', ')") }
            if ($Shape.Contains('format') -and $Value -cnotmatch '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$') {
                $problems.Add("${Path}: not a date-time with a time zone")
            }
        }
        'integer' {
            if (-not ($Value -is [int] -or $Value -is [long])) { $problems.Add("${Path}: must be an integer"); break }
            if ($Shape.Contains('minimum') -and $Value -lt $Shape['minimum']) { $problems.Add("${Path}: below $($Shape['minimum'])") }
            if ($Shape.Contains('maximum') -and $Value -gt $Shape['maximum']) { $problems.Add("${Path}: above $($Shape['maximum'])") }
            if ($Shape.Contains('const') -and $Value -ne $Shape['const']) { $problems.Add("${Path}: must be $($Shape['const'])") }
        }
        'boolean' {
            if ($Value -isnot [bool]) { $problems.Add("${Path}: must be true or false") }
        }
        default { $problems.Add("${Path}: the agent cannot check type '$($Shape['type'])'") }
    }
    return , $problems.ToArray()
}

function Add-DocumentDefaults {
    # Fills in the fields a valid document may leave out, with the schema's defaults.
    param($Value, [Parameter(Mandatory)] [System.Collections.IDictionary] $Shape)
    if ($Value -isnot [System.Management.Automation.PSCustomObject] -or -not $Shape.Contains('properties')) { return }
    foreach ($name in @($Shape['properties'].Keys)) {
        $fieldShape = $Shape['properties'][$name]
        $property = $Value.PSObject.Properties[$name]
        if ($null -eq $property -and $fieldShape.Contains('default')) {
            $default = $fieldShape['default']
            if ($default -is [System.Collections.IDictionary]) { $default = [pscustomobject] @{} }
            elseif ($default -is [array]) { $default = @() }
            $Value.PSObject.Properties.Add((New-Object System.Management.Automation.PSNoteProperty -ArgumentList $name, $default))
            $property = $Value.PSObject.Properties[$name]
        }
        if ($null -ne $property -and $fieldShape['type'] -eq 'object') { Add-DocumentDefaults -Value $property.Value -Shape $fieldShape }
    }
}

function Read-AgentJob {
    # The job document, checked against the job schema, as the values the agent uses.
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Json)
    $document = ConvertFrom-Json -InputObject $Json
    $problems = Test-DocumentShape -Value $document -Shape $script:JobShape -Path 'job'
    if ($problems.Count -gt 0) { throw ($problems -join '; ') }
    Add-DocumentDefaults -Value $document -Shape $script:JobShape
    $scripts = @(foreach ($reference in $document.scripts) { @{ S3Uri = $reference.s3_uri; Sha256 = $reference.sha256 } })
    $tags = [ordered]@{}
    foreach ($tag in $document.image.tags.PSObject.Properties) { $tags[$tag.Name] = [string] $tag.Value }
    return @{
        SchemaVersion = $document.schema_version
        RunId = $document.run_id
        BuilderName = $document.builder_name
        ImageName = $document.image.name
        DisplayName = $document.image.display_name
        Description = $document.image.description
        Tags = $tags
        Scripts = $scripts
        UseLatestAgentVersion = $document.image_assistant.use_latest_agent_version
        EnableDynamicAppCatalog = $document.image_assistant.enable_dynamic_app_catalog
        TimeoutMinutes = $document.timeout_minutes
        IssuedAt = $document.issued_at
    }
}

function New-ScriptResult {
    param([hashtable] $Reference, [int] $ExitCode, [string] $StartedAt, [string] $FinishedAt, [string] $OutputTail)
    return [ordered]@{
        s3_uri = $Reference.S3Uri
        sha256 = $Reference.Sha256
        exit_code = $ExitCode
        started_at = $StartedAt
        finished_at = $FinishedAt
        output_tail = $OutputTail
    }
}

function New-StepResult {
    param([int] $ExitCode, [string] $Message)
    return [ordered]@{
        exit_code = $ExitCode
        message = $Message
    }
}

function New-AgentResult {
    param(
        [string] $RunId, [string] $BuilderName, [ValidateSet('SUCCEEDED', 'FAILED')] [string] $Status,
        $ImageName, [object[]] $Scripts = @(), $CreateImage = $null, $ErrorMessage = $null,
        [string] $StartedAt, [string] $FinishedAt
    )
    return [ordered]@{
        schema_version = $script:SchemaVersion
        run_id = $RunId
        builder_name = $BuilderName
        status = $Status
        image_name = $ImageName
        scripts = @($Scripts)
        create_image = $CreateImage
        error = $ErrorMessage
        started_at = $StartedAt
        finished_at = $FinishedAt
    }
}

function New-AgentStatus {
    param(
        [string] $RunId, [string] $BuilderName, [string] $Phase, $ScriptIndex = $null, [int] $ScriptCount = 0,
        [string] $Message = '', [string] $OutputTail = '', [string] $StartedAt
    )
    return [ordered]@{
        schema_version = $script:SchemaVersion
        run_id = $RunId
        builder_name = $BuilderName
        agent_version = $script:AgentVersion
        phase = $Phase
        script_index = $ScriptIndex
        script_count = $ScriptCount
        message = $Message
        output_tail = $OutputTail
        started_at = $StartedAt
        updated_at = Get-UtcTimestamp
    }
}

function ConvertTo-DocumentJson {
    # JSON for a document, checked against its schema's shape first (problems are logged).
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Document, [Parameter(Mandatory)] [System.Collections.IDictionary] $Shape)
    $json = ConvertTo-Json -InputObject $Document -Depth 10
    $problems = Test-DocumentShape -Value (ConvertFrom-Json -InputObject $json) -Shape $Shape
    if ($problems.Count -gt 0) {
        Write-AgentLog -Level Error -EventId 1301 -Message ("the agent's own document breaks its schema: " + ($problems -join '; '))
    }
    return $json
}

function Write-AgentResult {
    param([Parameter(Mandatory)] [string] $BuilderName, [Parameter(Mandatory)] [System.Collections.IDictionary] $Result)
    Write-S3Text -Key ($script:ResultKeyFormat -f $BuilderName) -Text (ConvertTo-DocumentJson -Document $Result -Shape $script:ResultShape)
    $level = if ($Result.status -eq 'SUCCEEDED') { 'Information' } else { 'Error' }
    Write-AgentLog -Level $level -EventId 1200 -Message "run $($Result.run_id): $($Result.status) $($Result.error)"
}

function Write-AgentStatus {
    # Progress is best effort: a status that cannot be written never stops the job.
    param([Parameter(Mandatory)] [string] $BuilderName, [Parameter(Mandatory)] [System.Collections.IDictionary] $Status)
    try {
        Write-S3Text -Attempts 1 -Key ($script:StatusKeyFormat -f $BuilderName) -Text (ConvertTo-DocumentJson -Document $Status -Shape $script:StatusShape)
    } catch {
        Write-AgentLog -Level Warning -EventId 1103 -Message "status not written: $_"
    }
}

# ---------------------------------------------------------------------------------------
# Runs already handled, kept on the builder's disk
# ---------------------------------------------------------------------------------------

function Get-HandledRun {
    param([Parameter(Mandatory)] [string] $Marker)
    if (-not (Test-Path -LiteralPath $script:Settings.StateFile)) { return $null }
    $state = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:Settings.StateFile))
    $entry = $state.PSObject.Properties[$Marker]
    if ($null -eq $entry) { return $null }
    return [string] $entry.Value
}

function Set-HandledRun {
    # Stages: STARTED, CREATING_IMAGE, FINISHED. Written before the step it names begins.
    param([Parameter(Mandatory)] [string] $Marker, [Parameter(Mandatory)] [string] $Stage)
    $state = [ordered]@{}
    if (Test-Path -LiteralPath $script:Settings.StateFile) {
        $current = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:Settings.StateFile))
        foreach ($entry in $current.PSObject.Properties) { $state[$entry.Name] = $entry.Value }
    }
    $state[$Marker] = $Stage
    $temporary = "$($script:Settings.StateFile).tmp"
    [System.IO.File]::WriteAllText($temporary, (ConvertTo-Json -InputObject $state), (New-Object System.Text.UTF8Encoding $false))
    Move-Item -LiteralPath $temporary -Destination $script:Settings.StateFile -Force
}

function Get-TextSha256 {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text)
    $algorithm = [System.Security.Cryptography.SHA256]::Create()
    try {
        $bytes = $algorithm.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text))
        return (($bytes | ForEach-Object { $_.ToString('x2') }) -join '')
    } finally { $algorithm.Dispose() }
}

# ---------------------------------------------------------------------------------------
# Pinned scripts
# ---------------------------------------------------------------------------------------

function Split-S3Uri {
    param([Parameter(Mandatory)] [string] $Uri)
    if ($Uri -cnotmatch '^s3://([^/]+)/(.+)$') { throw "not an S3 URI: $Uri" }
    return @{ BucketName = $Matches[1]; Key = $Matches[2] }
}

function Get-PinnedScript {
    # Downloads one script into the job's directory and returns its path, only if its SHA-256 matches the pin.
    param([Parameter(Mandatory)] [hashtable] $Reference, [Parameter(Mandatory)] [int] $Index, [Parameter(Mandatory)] [string] $Directory)
    $location = Split-S3Uri -Uri $Reference.S3Uri
    $extension = [System.IO.Path]::GetExtension($location.Key).ToLowerInvariant()
    if (@('.ps1', '.cmd', '.bat') -notcontains $extension) {
        throw "script $Index ($($Reference.S3Uri)) is not a .ps1, .cmd or .bat file"
    }
    $path = Join-Path $Directory ('script-{0:D2}{1}' -f $Index, $extension)
    $null = Read-S3Object -BucketName $location.BucketName -Key $location.Key -File $path `
        -ProfileName $script:Settings.ProfileName -Region $script:Settings.Region
    $actual = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()
    if ($actual -cne $Reference.Sha256) {
        Remove-Item -LiteralPath $path -Force
        throw "script $Index ($($Reference.S3Uri)) has SHA-256 $actual, not its pin $($Reference.Sha256)"
    }
    return $path
}

function Join-CommandLine {
    # One command line from arguments, quoted so the program's argv is exactly $Arguments.
    param([AllowEmptyString()] [string[]] $Arguments)
    $quoted = foreach ($argument in $Arguments) {
        if ($argument.Length -gt 0 -and $argument -notmatch '[\s"]') { $argument; continue }
        $builder = New-Object System.Text.StringBuilder
        [void] $builder.Append('"')
        $backslashes = 0
        foreach ($character in $argument.ToCharArray()) {
            if ($character -eq [char] 92) { $backslashes++; continue }
            if ($character -eq [char] 34) { [void] $builder.Append([char] 92, 2 * $backslashes + 1) }
            elseif ($backslashes -gt 0) { [void] $builder.Append([char] 92, $backslashes) }
            $backslashes = 0
            [void] $builder.Append($character)
        }
        if ($backslashes -gt 0) { [void] $builder.Append([char] 92, 2 * $backslashes) }
        [void] $builder.Append('"')
        $builder.ToString()
    }
    return (@($quoted) -join ' ')
}

function Get-FileTail {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [int] $Characters)
    if (-not (Test-Path -LiteralPath $Path)) { return '' }
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)
    try {
        $take = [Math]::Min($stream.Length, [long] (4 * $Characters))
        $null = $stream.Seek(-$take, [System.IO.SeekOrigin]::End)
        $text = (New-Object System.IO.StreamReader($stream, [System.Text.Encoding]::UTF8)).ReadToEnd()
    } finally { $stream.Dispose() }
    if ($text.Length -gt $Characters) { $text = $text.Substring($text.Length - $Characters) }
    return $text
}

function Get-OutputTail {
    param([Parameter(Mandatory)] [string] $Path)
    $characters = $script:Settings.OutputTailCharacters
    $output = (Get-FileTail -Path "$Path.out.log" -Characters $characters) + (Get-FileTail -Path "$Path.err.log" -Characters $characters)
    if ($output.Length -gt $characters) { $output = $output.Substring($output.Length - $characters) }
    return $output
}

function Stop-ProcessTree {
    param([Parameter(Mandatory)] [int] $ProcessId)
    $null = & "$env:SystemRoot\System32\taskkill.exe" /PID $ProcessId /T /F 2>&1
}

function Invoke-PinnedScript {
    # Runs one verified script until it exits or $Deadline passes (then it and its children are
    # killed), reporting its output tail through $OnProgress meanwhile. Returns its exit code.
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [datetime] $Deadline, [scriptblock] $OnProgress)
    if ($Path.EndsWith('.ps1')) {
        $program = "$env:SystemRoot\System32\WindowsPowerShell\v1.0\powershell.exe"
        $arguments = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $Path)
    } else {
        $program = "$env:SystemRoot\System32\cmd.exe"
        $arguments = @('/d', '/c', $Path)
    }
    $process = Start-Process -FilePath $program -ArgumentList (Join-CommandLine -Arguments $arguments) -NoNewWindow -PassThru `
        -RedirectStandardOutput "$Path.out.log" -RedirectStandardError "$Path.err.log" -WorkingDirectory (Split-Path -Parent $Path)
    $null = $process.Handle  # keeps the handle, without which ExitCode stays empty
    while ($true) {
        $remaining = ($Deadline - [datetime]::UtcNow).TotalMilliseconds
        if ($remaining -le 0) {
            Stop-ProcessTree -ProcessId $process.Id
            return @{ ExitCode = -1; TimedOut = $true }
        }
        $wait = [int] [Math]::Min($remaining, 1000 * $script:Settings.StatusSeconds)
        if ($process.WaitForExit($wait)) { break }
        if ($OnProgress) { & $OnProgress (Get-OutputTail -Path $Path) }
    }
    $process.WaitForExit()
    return @{ ExitCode = [int] $process.ExitCode; TimedOut = $false }
}

# ---------------------------------------------------------------------------------------
# Image Assistant
# ---------------------------------------------------------------------------------------

function Get-CreateImageArguments {
    param([Parameter(Mandatory)] [hashtable] $Job, [switch] $DryRun)
    $arguments = New-Object System.Collections.Generic.List[string]
    $arguments.AddRange([string[]] @('create-image', '--name', $Job.ImageName))
    if ($Job.DisplayName) { $arguments.AddRange([string[]] @('--display-name', $Job.DisplayName)) }
    if ($Job.Description) { $arguments.AddRange([string[]] @('--description', $Job.Description)) }
    if ($Job.EnableDynamicAppCatalog) { $arguments.Add('--enable-dynamic-app-catalog') } else { $arguments.Add('--no-enable-dynamic-app-catalog') }
    if ($Job.UseLatestAgentVersion) { $arguments.Add('--use-latest-agent-version') } else { $arguments.Add('--no-use-latest-agent-version') }
    if ($Job.Tags.Count -gt 0) {
        $arguments.Add('--tags')
        foreach ($key in $Job.Tags.Keys) { $arguments.AddRange([string[]] @($key, $Job.Tags[$key])) }
    }
    if ($DryRun) { $arguments.Add('--dry-run') }
    return , $arguments.ToArray()
}

function ConvertFrom-ImageAssistantOutput {
    # Image Assistant prints {"status": <code>, "message": "<text>"}; its message is what a person needs.
    param([int] $ExitCode, [AllowEmptyString()] [string] $Output, [AllowEmptyString()] [string] $ErrorOutput)
    $status = $ExitCode
    $message = $null
    foreach ($candidate in @($Output.Trim()) + @($Output -split "`r?`n")) {
        $text = $candidate.Trim()
        if (-not $text.StartsWith('{')) { continue }
        try { $parsed = ConvertFrom-Json -InputObject $text } catch { continue }
        if ($null -ne $parsed.PSObject.Properties['status']) {
            $status = [int] $parsed.status
            $message = [string] (Get-OptionalValue $parsed 'message' '')
            break
        }
    }
    if ($null -eq $message) { $message = ("$Output`n$ErrorOutput").Trim() }
    $code = if ($ExitCode -ne 0) { $ExitCode } else { $status }
    return @{ ExitCode = $code; Message = $message }
}

function Invoke-ImageAssistant {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string[]] $Arguments)
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $script:Settings.ImageAssistantPath
    $start.Arguments = Join-CommandLine -Arguments $Arguments
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.CreateNoWindow = $true
    Write-AgentLog -EventId 1400 -Message "image-assistant.exe $($start.Arguments)"
    $process = [System.Diagnostics.Process]::Start($start)
    $errorText = $process.StandardError.ReadToEndAsync()
    $output = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $outcome = ConvertFrom-ImageAssistantOutput -ExitCode $process.ExitCode -Output $output -ErrorOutput $errorText.Result
    Write-AgentLog -EventId 1401 -Message "image-assistant.exe exited $($outcome.ExitCode): $($outcome.Message)"
    return $outcome
}

# ---------------------------------------------------------------------------------------
# One job
# ---------------------------------------------------------------------------------------

function Send-JobStatus {
    param(
        [Parameter(Mandatory)] [hashtable] $Job, [Parameter(Mandatory)] [string] $StartedAt, [Parameter(Mandatory)] [string] $Phase,
        $Index = $null, [string] $Message = '', [string] $Tail = ''
    )
    $status = New-AgentStatus -RunId $Job.RunId -BuilderName $Job.BuilderName -Phase $Phase -ScriptIndex $Index `
        -ScriptCount $Job.Scripts.Count -Message $Message -OutputTail $Tail -StartedAt $StartedAt
    Write-AgentStatus -BuilderName $Job.BuilderName -Status $status
}

function Complete-FailedJob {
    param(
        [Parameter(Mandatory)] [hashtable] $Job, [Parameter(Mandatory)] [string] $StartedAt, [Parameter(Mandatory)] [string] $Message,
        [object[]] $Scripts = @(), $CreateImage = $null
    )
    Send-JobStatus -Job $Job -StartedAt $StartedAt -Phase 'FAILED' -Message $Message
    $result = New-AgentResult -RunId $Job.RunId -BuilderName $Job.BuilderName -Status 'FAILED' -ImageName $Job.ImageName `
        -Scripts $Scripts -CreateImage $CreateImage -ErrorMessage $Message -StartedAt $StartedAt -FinishedAt (Get-UtcTimestamp)
    Write-AgentResult -BuilderName $Job.BuilderName -Result $result
}

function Invoke-AgentJob {
    # Runs a valid job addressed to this builder. Returns $true once Image Assistant accepted create-image.
    param([Parameter(Mandatory)] [hashtable] $Job)
    $startedAt = Get-UtcTimestamp
    $deadline = [datetime]::UtcNow.AddMinutes($Job.TimeoutMinutes)
    $count = $Job.Scripts.Count
    $results = New-Object System.Collections.Generic.List[object]
    $directory = Join-Path $script:Settings.WorkDirectory ('run-' + (Get-TextSha256 -Text $Job.RunId).Substring(0, 16))
    try {
        Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'RECEIVED' -Message "$count script(s), then image $($Job.ImageName)"
        $null = New-Item -ItemType Directory -Path $directory -Force
        Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'VERIFYING_SCRIPTS' -Message 'checking every SHA-256 pin before any script runs'
        $paths = @(for ($index = 1; $index -le $count; $index++) {
                Get-PinnedScript -Reference $Job.Scripts[$index - 1] -Index $index -Directory $directory
            })
        for ($index = 1; $index -le $count; $index++) {
            $reference = $Job.Scripts[$index - 1]
            Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'RUNNING_SCRIPT' -Index $index -Message $reference.S3Uri
            $scriptStartedAt = Get-UtcTimestamp
            # Called from Invoke-PinnedScript while the script runs; sees this function's variables.
            $progress = { param([string] $Tail) Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'RUNNING_SCRIPT' -Index $index -Message $reference.S3Uri -Tail $Tail }
            $run = Invoke-PinnedScript -Path $paths[$index - 1] -Deadline $deadline -OnProgress $progress
            $tail = Get-OutputTail -Path $paths[$index - 1]
            if ($run.TimedOut) { $tail = "$tail`n[builder agent] stopped: the job's $($Job.TimeoutMinutes)-minute budget ran out" }
            $results.Add((New-ScriptResult -Reference $reference -ExitCode $run.ExitCode -StartedAt $scriptStartedAt -FinishedAt (Get-UtcTimestamp) -OutputTail $tail))
            $problem = $null
            if ($run.TimedOut) { $problem = "script $index of $count ($($reference.S3Uri)) did not finish within the job's $($Job.TimeoutMinutes) minutes" }
            elseif ($run.ExitCode -ne 0) { $problem = "script $index of $count ($($reference.S3Uri)) exited $($run.ExitCode)" }
            if ($problem) {
                Complete-FailedJob -Job $Job -StartedAt $startedAt -Message $problem -Scripts $results.ToArray()
                return $false
            }
        }
        # The image must not carry the scripts, their output or the agent's downloads.
        Remove-Item -LiteralPath $directory -Recurse -Force -ErrorAction SilentlyContinue
        Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'CHECKING_IMAGE' -Message 'image-assistant.exe create-image --dry-run'
        $check = Invoke-ImageAssistant -Arguments (Get-CreateImageArguments -Job $Job -DryRun)
        if ($check.ExitCode -ne 0) {
            $step = New-StepResult -ExitCode $check.ExitCode -Message $check.Message
            Complete-FailedJob -Job $Job -StartedAt $startedAt -Message "Image Assistant: $($check.Message)" -Scripts $results.ToArray() -CreateImage $step
            return $false
        }
        Set-HandledRun -Marker $Job.RunId -Stage 'CREATING_IMAGE'
        Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'CREATING_IMAGE' -Message "image-assistant.exe create-image --name $($Job.ImageName)"
        $create = Invoke-ImageAssistant -Arguments (Get-CreateImageArguments -Job $Job)
        $step = New-StepResult -ExitCode $create.ExitCode -Message $create.Message
        if ($create.ExitCode -ne 0) {
            Complete-FailedJob -Job $Job -StartedAt $startedAt -Message "Image Assistant: $($create.Message)" -Scripts $results.ToArray() -CreateImage $step
            return $false
        }
        # The builder snapshots and stops now: report quickly; the workflow watches the image anyway.
        $result = New-AgentResult -RunId $Job.RunId -BuilderName $Job.BuilderName -Status 'SUCCEEDED' -ImageName $Job.ImageName `
            -Scripts $results.ToArray() -CreateImage $step -StartedAt $startedAt -FinishedAt (Get-UtcTimestamp)
        Write-AgentResult -BuilderName $Job.BuilderName -Result $result
        Send-JobStatus -Job $Job -StartedAt $startedAt -Phase 'SUCCEEDED' -Message "Image Assistant is creating image $($Job.ImageName)"
        return $true
    } catch {
        Complete-FailedJob -Job $Job -StartedAt $startedAt -Message "$($_.Exception.Message)" -Scripts $results.ToArray()
        return $false
    }
}

function Invoke-AgentPoll {
    # One look at this builder's job. Returns $true when the agent has nothing left to do here.
    param([Parameter(Mandatory)] [string] $BuilderName)
    $body = Read-S3Text -BucketName $script:Settings.JobsBucket -Key ($script:JobKeyFormat -f $BuilderName)
    if ($null -eq $body) { return $false }
    $now = Get-UtcTimestamp
    try {
        $job = Read-AgentJob -Json $body
    } catch {
        $marker = 'invalid:' + (Get-TextSha256 -Text $body)
        if ($null -ne (Get-HandledRun -Marker $marker)) { return $false }
        Set-HandledRun -Marker $marker -Stage 'FINISHED'
        $result = New-AgentResult -RunId 'unknown' -BuilderName $BuilderName -Status 'FAILED' -ImageName $null `
            -ErrorMessage "invalid job document: $($_.Exception.Message)" -StartedAt $now -FinishedAt $now
        Write-AgentResult -BuilderName $BuilderName -Result $result
        return $false
    }
    $stage = Get-HandledRun -Marker $job.RunId
    if ($stage -eq 'FINISHED') { return $false }
    if ($stage -eq 'CREATING_IMAGE') {
        # create-image was requested before this boot: the builder snapshotted, or is about to.
        Set-HandledRun -Marker $job.RunId -Stage 'FINISHED'
        Write-AgentLog -EventId 1003 -Message "run $($job.RunId): create-image was requested before this start; not run again"
        return $true
    }
    if ($stage -eq 'STARTED') {
        Set-HandledRun -Marker $job.RunId -Stage 'FINISHED'
        $result = New-AgentResult -RunId $job.RunId -BuilderName $BuilderName -Status 'FAILED' -ImageName $job.ImageName `
            -ErrorMessage 'the builder agent restarted during this job (did a script restart the builder?); a job never runs twice' `
            -StartedAt $now -FinishedAt $now
        Write-AgentResult -BuilderName $BuilderName -Result $result
        return $false
    }
    Set-HandledRun -Marker $job.RunId -Stage 'STARTED'
    if ($job.BuilderName -cne $BuilderName) {
        Set-HandledRun -Marker $job.RunId -Stage 'FINISHED'
        $result = New-AgentResult -RunId $job.RunId -BuilderName $job.BuilderName -Status 'FAILED' -ImageName $job.ImageName `
            -ErrorMessage "job is addressed to $($job.BuilderName), not $BuilderName" -StartedAt $now -FinishedAt $now
        Write-AgentResult -BuilderName $BuilderName -Result $result
        return $false
    }
    Write-AgentLog -EventId 1002 -Message "run $($job.RunId): starting job for image $($job.ImageName) (issued $($job.IssuedAt))"
    $done = Invoke-AgentJob -Job $job
    if (-not $done) { Set-HandledRun -Marker $job.RunId -Stage 'FINISHED' }
    return $done
}

function Start-BuilderAgent {
    param([Parameter(Mandatory)] [string] $ConfigPath, [switch] $Once)
    # Windows PowerShell 5.1 would serialize arrays as {"value": [...], "Count": n} without this.
    Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
    $script:Settings = Read-AgentConfig -Path $ConfigPath
    foreach ($directory in @($script:Settings.WorkDirectory, (Join-Path $script:Settings.DataDirectory 'logs'))) {
        $null = New-Item -ItemType Directory -Path $directory -Force
    }
    $script:LogFile = Join-Path $script:Settings.DataDirectory 'logs\agent.log'
    Write-AgentLog -EventId 1000 -Message "builder agent $($script:AgentVersion) started; jobs bucket $($script:Settings.JobsBucket)"
    $identity = Wait-BuilderIdentity -Minutes $script:Settings.IdentityWaitMinutes
    if ($null -eq $identity) {
        Write-AgentLog -EventId 1001 -Message 'no AppStream_Resource_Name: not an AppStream instance; the agent stops'
        return
    }
    if (-not $identity.IsImageBuilder) {
        Write-AgentLog -EventId 1001 -Message "this is a $($identity.Type), not an image builder; the agent stops"
        return
    }
    Import-AwsTools
    Write-AgentLog -EventId 1001 -Message "image builder $($identity.Name): polling s3://$($script:Settings.JobsBucket)/$($script:JobKeyFormat -f $identity.Name)"
    while ($true) {
        $done = $false
        try {
            $done = Invoke-AgentPoll -BuilderName $identity.Name
        } catch {
            Write-AgentLog -Level Warning -EventId 1100 -Message "poll failed, retrying in $($script:Settings.PollSeconds) s: $_"
        }
        if ($done) {
            Write-AgentLog -EventId 1004 -Message 'create-image requested; the agent stops'
            return
        }
        if ($Once) { return }
        Start-Sleep -Seconds $script:Settings.PollSeconds
    }
}

if ($MyInvocation.InvocationName -ne '.') {
    try {
        Start-BuilderAgent -ConfigPath $ConfigPath -Once:$Once
    } catch {
        Write-AgentLog -Level Error -EventId 1900 -Message "the builder agent stopped: $_"
        throw
    }
}
